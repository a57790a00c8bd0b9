package io.reactivees.inmemory.aggregate;

import static io.reactivees.inmemory.aggregate.Bank.ACCOUNT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.aggregate.MultiCommandResult;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import io.reactivees.inmemory.aggregate.Bank.Deposited;
import io.reactivees.inmemory.aggregate.Bank.InsufficientFunds;
import io.reactivees.inmemory.aggregate.Bank.Withdrawn;
import io.reactivees.testing.AggregateFixture;
import io.reactivees.testing.MultiAggregateFixture;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The README's examples of multi-aggregate decisions, command ids and their fixtures, as written there. */
class ReadmeAggregatesTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final EventStore store = InMemoryEventStore.create();
    private final AggregateRepository<Account, AccountEvent> accounts = AggregateRepository.builder(store, Bank.serializer(), ACCOUNT).build();

    private final Command<Account, AccountEvent> withdraw = Command.of(account -> {
        if (account.balance() < 30) throw new InsufficientFunds(account.balance(), 30);
        return List.of(new Withdrawn(30));
    });

    private MultiCommand<Account, AccountEvent> transfer(String from, String to, long amount) {
        return MultiCommand.<Account, AccountEvent>of(states -> {
            if (states.get(from).balance() < amount) throw new InsufficientFunds(states.get(from).balance(), amount);
            return Map.of(from, List.of(new Withdrawn(amount)), to, List.of(new Deposited(amount)));
        }).withFingerprint("account.transfer", from + ">" + to + ":" + amount);
    }

    @Test
    void decisionsOverSeveralAggregates() {
        String from = "a";
        String to = "b";
        accounts.create(from, Bank.open("alice")).then(accounts.update(from, Bank.deposit(100)))
                .then(accounts.create(to, Bank.open("bob"))).block(TIMEOUT);

        MultiAggregateRepository<Account, AccountEvent> both = MultiAggregateRepository.of(accounts);
        Account receiver = both.update(List.of(from, to), MultiCommand.<Account, AccountEvent>of(states -> {
                    if (states.get(from).balance() < 30) throw new InsufficientFunds(states.get(from).balance(), 30);
                    return Map.of(from, List.of(new Withdrawn(30)), to, List.of(new Deposited(30)));
                }).withFingerprint("account.transfer", from + ">" + to + ":30"))
                .map(result -> result.state(to))
                .block(TIMEOUT);

        assertEquals(new Account("bob", 30), receiver);
    }

    @Test
    void idempotentCommands() {
        accounts.create("42", Bank.open("alice")).then(accounts.update("42", Bank.deposit(100))).block(TIMEOUT);
        String requestId = "req-1";
        String idempotencyKey = "key-1";

        CommandResult<Account, AccountEvent> first = accounts.update("42", withdraw.withFingerprint("account.withdraw", "30"))
                .contextWrite(CommandMetadata.correlatedBy(requestId).withCommandId(idempotencyKey).into())
                .block(TIMEOUT);
        CommandResult<Account, AccountEvent> again = accounts.update("42", withdraw.withFingerprint("account.withdraw", "30"))
                .contextWrite(CommandMetadata.correlatedBy(requestId).withCommandId(idempotencyKey).into())
                .block(TIMEOUT);

        assertTrue(again.replayed());
        assertEquals(first.state(), again.state());
        assertEquals(new Account("alice", 70), accounts.load("42").block(TIMEOUT).state());
    }

    @Test
    void fixtures() {
        AggregateFixture.of(ACCOUNT, Bank.serializer())
                .given(new Bank.Opened("alice"), new Deposited(100))
                .commandId("withdraw-1")
                .when(withdraw.withFingerprint("account.withdraw", "30"))
                .expectEvents(new Withdrawn(30))
                .replayAfter(new Deposited(5))          // or replay(); the aggregate moved on meanwhile
                .expectOriginalResult()
                .expectState(new Account("alice", 70));

        MultiAggregateFixture.of(ACCOUNT, Bank.serializer())
                .given("a", new Bank.Opened("alice"), new Deposited(100))
                .given("b", new Bank.Opened("bob"))
                .givenConcurrently("a", new Deposited(1))   // optional: a conflict on a, then a retry
                .when(List.of("a", "b"), transfer("a", "b", 30))
                .expectEvents("a", new Withdrawn(30))
                .expectEvents("b", new Deposited(30))
                .expectState("a", new Account("alice", 71));
    }

    @Test
    void aMultiCommandResultHasAResultPerAggregate() {
        accounts.create("a", Bank.open("alice")).then(accounts.update("a", Bank.deposit(50)))
                .then(accounts.create("b", Bank.open("bob"))).block(TIMEOUT);
        MultiCommandResult<Account, AccountEvent> result =
                MultiAggregateRepository.of(accounts).update(List.of("a", "b"), transfer("a", "b", 20)).block(TIMEOUT);
        assertEquals(List.of(new Withdrawn(20)), result.get("a").events());
        assertEquals(2, result.get("b").version());
    }
}
