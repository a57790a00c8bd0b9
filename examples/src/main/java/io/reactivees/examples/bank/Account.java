package io.reactivees.examples.bank;

import java.util.Objects;

/**
 * A bank account's state, as its events leave it. {@link #apply} is the aggregate's {@code evolve}:
 * pure, and never failing, because every rule was checked when the events were decided.
 *
 * @param owner who owns the account; empty before it is opened
 * @param balance the balance, in whole units
 */
public record Account(String owner, long balance) {

    /** The state before any event. */
    public static final Account NONE = new Account("", 0);

    /** @throws NullPointerException if {@code owner} is null */
    public Account {
        Objects.requireNonNull(owner, "owner must not be null");
    }

    /**
     * @param event what happened
     * @return the state after it
     */
    public Account apply(AccountEvent event) {
        if (event instanceof AccountEvent.Opened opened) {
            return new Account(opened.owner(), balance);
        }
        return new Account(owner, balance + event.balanceChange());
    }
}
