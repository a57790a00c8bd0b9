package io.reactivees.examples.bank;

import io.reactivees.core.serialization.EventType;
import java.util.Objects;
import java.util.UUID;

/**
 * What can happen to a bank account. Each event is stored under the stable type name of its
 * {@link EventType} annotation, so the records can be renamed or moved without touching stored
 * events. Amounts are whole units (cents, say), always positive.
 */
public sealed interface AccountEvent {

    /** @return how much this event changes the balance by: positive in, negative out, 0 for neither */
    long balanceChange();

    /**
     * The account was opened.
     *
     * @param owner who owns it
     */
    @EventType("account.opened")
    record Opened(String owner) implements AccountEvent {
        /** @throws NullPointerException if {@code owner} is null */
        public Opened {
            Objects.requireNonNull(owner, "owner must not be null");
        }

        @Override
        public long balanceChange() {
            return 0;
        }
    }

    /**
     * Money was paid in.
     *
     * @param amount how much
     */
    @EventType("account.deposited")
    record Deposited(long amount) implements AccountEvent {
        @Override
        public long balanceChange() {
            return amount;
        }
    }

    /**
     * Money was taken out.
     *
     * @param amount how much
     */
    @EventType("account.withdrawn")
    record Withdrawn(long amount) implements AccountEvent {
        @Override
        public long balanceChange() {
            return -amount;
        }
    }

    /**
     * Money left this account for another, in the same commit as the other's {@link TransferReceived}.
     *
     * @param transferId the transfer both events belong to
     * @param to the receiving account
     * @param amount how much
     */
    @EventType("account.transfer-sent")
    record TransferSent(UUID transferId, UUID to, long amount) implements AccountEvent {
        /** @throws NullPointerException if an id is null */
        public TransferSent {
            Objects.requireNonNull(transferId, "transferId must not be null");
            Objects.requireNonNull(to, "to must not be null");
        }

        @Override
        public long balanceChange() {
            return -amount;
        }
    }

    /**
     * Money arrived from another account, in the same commit as the other's {@link TransferSent}.
     *
     * @param transferId the transfer both events belong to
     * @param from the sending account
     * @param amount how much
     */
    @EventType("account.transfer-received")
    record TransferReceived(UUID transferId, UUID from, long amount) implements AccountEvent {
        /** @throws NullPointerException if an id is null */
        public TransferReceived {
            Objects.requireNonNull(transferId, "transferId must not be null");
            Objects.requireNonNull(from, "from must not be null");
        }

        @Override
        public long balanceChange() {
            return amount;
        }
    }

    /** @return every event class, to register with an {@link io.reactivees.core.serialization.EventTypeRegistry} */
    static Class<?>[] classes() {
        return new Class<?>[] {Opened.class, Deposited.class, Withdrawn.class, TransferSent.class, TransferReceived.class};
    }
}
