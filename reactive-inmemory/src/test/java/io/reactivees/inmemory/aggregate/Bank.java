package io.reactivees.inmemory.aggregate;

import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import java.util.List;

/** A small bank account aggregate for the tests. */
final class Bank {

    private Bank() {}

    sealed interface AccountEvent permits Opened, Deposited, Withdrawn {}

    @EventType("account.opened")
    record Opened(String owner) implements AccountEvent {}

    @EventType("account.deposited")
    record Deposited(long amount) implements AccountEvent {}

    @EventType("account.withdrawn")
    record Withdrawn(long amount) implements AccountEvent {}

    record Account(String owner, long balance) {
        static final Account NONE = new Account("", 0);

        Account apply(AccountEvent event) {
            if (event instanceof Opened opened) {
                return new Account(opened.owner(), 0);
            }
            if (event instanceof Deposited deposited) {
                return new Account(owner, balance + deposited.amount());
            }
            return new Account(owner, balance - ((Withdrawn) event).amount());
        }
    }

    static final class InsufficientFunds extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InsufficientFunds(long balance, long amount) {
            super("balance " + balance + " is below " + amount);
        }
    }

    static final AggregateType<Account, AccountEvent> ACCOUNT =
            AggregateType.of("account", AccountEvent.class, Account.NONE, Account::apply);

    static EventSerializer serializer() {
        return JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Opened.class, Deposited.class, Withdrawn.class));
    }

    static Command<Account, AccountEvent> open(String owner) {
        return Command.of(account -> List.of(new Opened(owner)));
    }

    static Command<Account, AccountEvent> deposit(long amount) {
        return Command.of(account -> List.of(new Deposited(amount)));
    }

    static Command<Account, AccountEvent> withdraw(long amount) {
        return Command.of(account -> {
            if (account.balance() < amount) {
                throw new InsufficientFunds(account.balance(), amount);
            }
            return List.of(new Withdrawn(amount));
        });
    }
}
