package io.reactivees.examples.bank;

import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * The bank account aggregate: its type (stream category {@code account}, one stream per account id)
 * and the decisions that change it. Each command is a pure function of the current state; the
 * {@link io.reactivees.core.aggregate.AggregateRepository} loads the state, runs it, and appends what
 * it decides with optimistic concurrency, retrying on a conflict. Each command has a fingerprint
 * (its type and amount or owner), so it can run under a command id (an {@code Idempotency-Key}).
 */
public final class Accounts {

    /** The aggregate type: accounts live in streams {@code account-<id>}. */
    public static final AggregateType<Account, AccountEvent> TYPE =
            AggregateType.of("account", AccountEvent.class, Account.NONE, Account::apply);

    private Accounts() {}

    /**
     * @param owner who owns the new account
     * @return a command that opens the account
     * @throws NullPointerException if {@code owner} is null
     */
    public static Command<Account, AccountEvent> open(String owner) {
        AccountEvent.Opened opened = new AccountEvent.Opened(owner);
        return Command.<Account, AccountEvent>of(account -> List.of(opened)).withFingerprint("account.open", owner);
    }

    /**
     * @param accountId the account, for error messages
     * @param amount what to pay in; positive
     * @return a command that pays in; it fails with {@link BankRuleException.BalanceLimitExceeded}
     *     when the balance would overflow
     * @throws IllegalArgumentException if {@code amount} is not positive
     */
    public static Command<Account, AccountEvent> deposit(UUID accountId, long amount) {
        requirePositive(amount);
        return Command.<Account, AccountEvent>of(account -> {
            requireRoomFor(accountId, account, amount);
            return List.of(new AccountEvent.Deposited(amount));
        }).withFingerprint("account.deposit", Long.toString(amount));
    }

    /**
     * @param accountId the account, for error messages
     * @param amount what to take out; positive
     * @return a command that takes money out; it fails with {@link BankRuleException.InsufficientFunds}
     *     when the balance is smaller than {@code amount}
     * @throws IllegalArgumentException if {@code amount} is not positive
     */
    public static Command<Account, AccountEvent> withdraw(UUID accountId, long amount) {
        requirePositive(amount);
        return Command.<Account, AccountEvent>of(account -> {
            requireFunds(accountId, account, amount);
            return List.of(new AccountEvent.Withdrawn(amount));
        }).withFingerprint("account.withdraw", Long.toString(amount));
    }

    /**
     * Decides a transfer between two loaded accounts: one event for each, to be appended in one
     * atomic commit.
     *
     * @param transferId the transfer's id, carried by both events
     * @param fromId the sending account
     * @param from its state
     * @param toId the receiving account
     * @param to its state
     * @param amount how much; positive
     * @return the sender's and the receiver's event
     * @throws BankRuleException.SameAccountTransfer if the accounts are the same
     * @throws BankRuleException.InsufficientFunds if the sender holds less than {@code amount}
     * @throws BankRuleException.BalanceLimitExceeded if the receiver's balance would overflow
     * @throws IllegalArgumentException if {@code amount} is not positive
     */
    public static Transfer transfer(UUID transferId, UUID fromId, Account from, UUID toId, Account to, long amount) {
        Objects.requireNonNull(transferId, "transferId must not be null");
        requirePositive(amount);
        if (fromId.equals(toId)) {
            throw new BankRuleException.SameAccountTransfer(fromId);
        }
        requireFunds(fromId, from, amount);
        requireRoomFor(toId, to, amount);
        return new Transfer(new AccountEvent.TransferSent(transferId, toId, amount),
                new AccountEvent.TransferReceived(transferId, fromId, amount));
    }

    /**
     * A decided transfer.
     *
     * @param sent the sender's event
     * @param received the receiver's event
     */
    public record Transfer(AccountEvent.TransferSent sent, AccountEvent.TransferReceived received) {}

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive: " + amount);
        }
    }

    private static void requireFunds(UUID accountId, Account account, long amount) {
        if (account.balance() < amount) {
            throw new BankRuleException.InsufficientFunds(accountId, account.balance(), amount);
        }
    }

    private static void requireRoomFor(UUID accountId, Account account, long amount) {
        if (account.balance() > Long.MAX_VALUE - amount) {
            throw new BankRuleException.BalanceLimitExceeded(accountId, account.balance(), amount);
        }
    }
}
