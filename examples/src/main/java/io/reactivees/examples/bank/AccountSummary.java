package io.reactivees.examples.bank;

import java.util.Objects;
import java.util.UUID;

/**
 * One row of the accounts read model: an account as of the last of its events the projection
 * applied.
 *
 * @param id the account id
 * @param owner who owns it
 * @param balance its balance
 * @param version how many of its events are applied
 */
public record AccountSummary(UUID id, String owner, long balance, long version) {

    /** @throws NullPointerException if {@code id} or {@code owner} is null */
    public AccountSummary {
        Objects.requireNonNull(id, "id must not be null");
        Objects.requireNonNull(owner, "owner must not be null");
    }

    /**
     * Applies the next event of this account.
     *
     * @param change the event; its version must be this summary's plus one
     * @return the summary after it
     * @throws IllegalStateException if the change is not the next event of this account
     */
    public AccountSummary apply(AccountChange change) {
        if (!change.accountId().equals(id) || change.version() != version + 1) {
            throw new IllegalStateException("expected event " + (version + 1) + " of account " + id + ", got " + change);
        }
        return new AccountSummary(id, owner, balance + change.event().balanceChange(), change.version());
    }
}
