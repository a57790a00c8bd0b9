package io.reactivees.examples.bank;

import java.util.UUID;

/**
 * A command broke a business rule: the request was well formed, but the bank refuses it. Never
 * retried; nothing is written.
 */
public abstract sealed class BankRuleException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private BankRuleException(String message) {
        super(message);
    }

    /** @return a short, stable summary of the rule, the same for every occurrence */
    public abstract String title();

    /** The account holds less than the amount to take out: there are no overdrafts. */
    public static final class InsufficientFunds extends BankRuleException {

        private static final long serialVersionUID = 1L;

        private final UUID accountId;
        private final long balance;
        private final long amount;

        /**
         * @param accountId the account
         * @param balance its balance
         * @param amount what was asked for
         */
        public InsufficientFunds(UUID accountId, long balance, long amount) {
            super("Account " + accountId + " holds " + balance + ", less than the " + amount + " asked for");
            this.accountId = accountId;
            this.balance = balance;
            this.amount = amount;
        }

        @Override
        public String title() {
            return "Insufficient funds";
        }

        /** @return the account */
        public UUID accountId() {
            return accountId;
        }

        /** @return its balance when the command was decided */
        public long balance() {
            return balance;
        }

        /** @return what was asked for */
        public long amount() {
            return amount;
        }
    }

    /** The balance would pass the largest one the bank keeps ({@link Long#MAX_VALUE} units). */
    public static final class BalanceLimitExceeded extends BankRuleException {

        private static final long serialVersionUID = 1L;

        private final UUID accountId;

        /**
         * @param accountId the account
         * @param balance its balance
         * @param amount what was to be paid in
         */
        public BalanceLimitExceeded(UUID accountId, long balance, long amount) {
            super("Account " + accountId + " holds " + balance + "; another " + amount + " would pass the largest balance, "
                    + Long.MAX_VALUE);
            this.accountId = accountId;
        }

        @Override
        public String title() {
            return "Balance limit exceeded";
        }

        /** @return the account */
        public UUID accountId() {
            return accountId;
        }
    }

    /** A transfer names the same account as sender and receiver. */
    public static final class SameAccountTransfer extends BankRuleException {

        private static final long serialVersionUID = 1L;

        private final UUID accountId;

        /** @param accountId the account named twice */
        public SameAccountTransfer(UUID accountId) {
            super("A transfer needs two different accounts; " + accountId + " is both sender and receiver");
            this.accountId = accountId;
        }

        @Override
        public String title() {
            return "Transfer to the same account";
        }

        /** @return the account named twice */
        public UUID accountId() {
            return accountId;
        }
    }
}
