package io.reactivees.inmemory.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventDecodingException;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.aggregate.AggregateAlreadyExistsException;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import io.reactivees.inmemory.aggregate.Bank.Deposited;
import io.reactivees.inmemory.aggregate.Bank.InsufficientFunds;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

class AggregateRepositoryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final EventStore store = InMemoryEventStore.create();
    private final AggregateRepository<Account, AccountEvent> accounts =
            AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
                    .retryPolicy(new RetryPolicy(5, Duration.ZERO, Duration.ofMillis(1), 0.5))
                    .build();

    @Test
    void createAppendsWithNoStreamAndReturnsTheNewState() {
        accounts.create("1", Bank.open("alice"))
                .as(StepVerifier::create)
                .assertNext(result -> {
                    assertEquals(new Account("alice", 0), result.state());
                    assertEquals(1, result.version());
                    assertEquals(List.of(new Bank.Opened("alice")), result.events());
                    assertEquals(1, result.attempts());
                    assertEquals(0, result.append().fromVersion());
                })
                .expectComplete()
                .verify(TIMEOUT);
        assertEquals(new Account("alice", 0), accounts.load("1").block(TIMEOUT).state());
    }

    @Test
    void creatingTwiceFailsWithAlreadyExists() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        accounts.create("1", Bank.open("bob"))
                .as(StepVerifier::create)
                .expectError(AggregateAlreadyExistsException.class)
                .verify(TIMEOUT);
        assertEquals(1L, store.streamVersion(Bank.ACCOUNT.streamId("1")).block(TIMEOUT));
    }

    @Test
    void aConcurrentCreateIsAlreadyExistsNotARetry() {
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> racing = Command.async(account -> {
            runs.incrementAndGet();
            return store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.noStream(),
                            List.of(Bank.serializer().serialize(new Bank.Opened("racer"))))
                    .thenReturn(List.of(new Bank.Opened("alice")));
        });
        accounts.create("1", racing).as(StepVerifier::create).expectError(AggregateAlreadyExistsException.class).verify(TIMEOUT);
        assertEquals(1, runs.get());
    }

    @Test
    void updatingAMissingAggregateFailsWithNotFound() {
        accounts.update("nobody", Bank.deposit(10))
                .as(StepVerifier::create)
                .expectError(AggregateNotFoundException.class)
                .verify(TIMEOUT);
        store.streamVersion(Bank.ACCOUNT.streamId("nobody")).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
    }

    @Test
    void loadingAMissingAggregateGivesTheInitialStateAtVersionZero() {
        accounts.load("nobody")
                .as(StepVerifier::create)
                .assertNext(state -> {
                    assertEquals(Account.NONE, state.state());
                    assertEquals(0, state.version());
                    assertTrue(!state.exists());
                })
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void aDomainErrorIsNeverRetriedAndWritesNothing() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> withdraw = state -> {
            runs.incrementAndGet();
            return Bank.withdraw(50).decide(state);
        };
        accounts.update("1", withdraw).as(StepVerifier::create).expectError(InsufficientFunds.class).verify(TIMEOUT);
        assertEquals(1, runs.get());
        assertEquals(1L, store.streamVersion(Bank.ACCOUNT.streamId("1")).block(TIMEOUT));
    }

    @Test
    void aCommandThatDecidesNothingWritesNothing() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        CommandResult<Account, AccountEvent> result =
                accounts.update("1", Command.of(account -> List.of())).block(TIMEOUT);
        assertTrue(result.events().isEmpty());
        assertNull(result.append());
        assertEquals(1, result.version());
        assertEquals(1L, store.streamVersion(Bank.ACCOUNT.streamId("1")).block(TIMEOUT));
    }

    @Test
    void aConflictReloadsAndRetriesOnTheNewState() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> withdrawAfterARacer = Command.async(account -> {
            Mono<Void> racer = runs.incrementAndGet() == 1
                    ? store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.any(),
                            List.of(Bank.serializer().serialize(new Deposited(100)))).then()
                    : Mono.empty();
            return racer.then(Mono.fromSupplier(() -> {
                if (account.balance() < 60) {
                    throw new InsufficientFunds(account.balance(), 60);
                }
                return List.<AccountEvent>of(new Bank.Withdrawn(60));
            }));
        });
        // The first run sees balance 0 and fails with a domain error: never retried.
        accounts.update("1", withdrawAfterARacer).as(StepVerifier::create).expectError(InsufficientFunds.class).verify(TIMEOUT);

        runs.set(0);
        Command<Account, AccountEvent> depositAfterARacer = Command.async(account -> {
            Mono<Void> racer = runs.incrementAndGet() == 1
                    ? store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.any(),
                            List.of(Bank.serializer().serialize(new Deposited(100)))).then()
                    : Mono.empty();
            return racer.thenReturn(List.<AccountEvent>of(new Deposited(5)));
        });
        CommandResult<Account, AccountEvent> result = accounts.update("1", depositAfterARacer).block(TIMEOUT);
        assertEquals(2, result.attempts());
        assertEquals(205, result.state().balance()); // two racers' 100s and our 5
        assertEquals(205, accounts.load("1").block(TIMEOUT).state().balance());
    }

    @Test
    void conflictsBeyondThePolicyFailWithTheConflict() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> alwaysRaced = Command.async(account -> {
            runs.incrementAndGet();
            return store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.any(),
                            List.of(Bank.serializer().serialize(new Deposited(1))))
                    .thenReturn(List.<AccountEvent>of(new Deposited(5)));
        });
        accounts.update("1", alwaysRaced).as(StepVerifier::create).expectError(ConcurrencyConflictException.class).verify(TIMEOUT);
        assertEquals(5, runs.get());
    }

    @Test
    void racingCommandsOnOneAggregateAllCountExactlyOnce() {
        AggregateRepository<Account, AccountEvent> patient = AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
                .retryPolicy(new RetryPolicy(100, Duration.ofMillis(1), Duration.ofMillis(20), 1.0))
                .serializeCommandsPerAggregate(false)
                .build();
        patient.create("1", Bank.open("alice")).block(TIMEOUT);
        List<CommandResult<Account, AccountEvent>> results = Flux.range(1, 32)
                .flatMap(i -> patient.update("1", Bank.deposit(i)).subscribeOn(Schedulers.parallel()), 32)
                .collectList()
                .block(TIMEOUT);
        assertEquals(32, results.size());
        assertEquals(32 * 33 / 2, patient.load("1").block(TIMEOUT).state().balance());
        assertEquals(33, patient.load("1").block(TIMEOUT).version());
        assertTrue(results.stream().allMatch(r -> r.attempts() <= 100));
    }

    @Test
    void concurrentCommandsOnOneAggregateTakeTurnsAndNeverConflict() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        List<CommandResult<Account, AccountEvent>> results = Flux.range(1, 32)
                .flatMap(i -> accounts.update("1", Bank.deposit(i)).subscribeOn(Schedulers.parallel()), 32)
                .collectList()
                .block(TIMEOUT);
        assertEquals(32, results.size());
        assertTrue(results.stream().allMatch(r -> r.attempts() == 1), "commands in turn never conflict with each other");
        assertEquals(32, results.stream().map(CommandResult::version).distinct().count());
        assertEquals(32 * 33 / 2, accounts.load("1").block(TIMEOUT).state().balance());
        assertEquals(33, accounts.load("1").block(TIMEOUT).version());
    }

    @Test
    void aCommandInTurnStartsFromTheStateTheCommandBeforeItLeft() {
        AtomicInteger evolved = new AtomicInteger();
        AggregateType<Account, AccountEvent> counted = AggregateType.of("account", AccountEvent.class, Account.NONE,
                (account, event) -> {
                    evolved.incrementAndGet();
                    return account.apply(event);
                });
        AggregateRepository<Account, AccountEvent> repository = AggregateRepository.builder(store, Bank.serializer(), counted).build();
        repository.create("1", Bank.open("alice")).block(TIMEOUT);
        Sinks.Empty<Void> gate = Sinks.empty();
        Mono<CommandResult<Account, AccountEvent>> first =
                repository.update("1", Command.async(account -> gate.asMono().thenReturn(List.<AccountEvent>of(new Deposited(1)))));
        List<Mono<CommandResult<Account, AccountEvent>>> commands = new ArrayList<>();
        commands.add(first.cache());
        for (int i = 0; i < 10; i++) {
            commands.add(repository.update("1", Bank.deposit(10)).cache());
        }
        commands.forEach(Mono::subscribe); // the first holds the turn at its gate; ten wait behind it
        evolved.set(0);
        gate.tryEmitEmpty().orThrow();
        List<CommandResult<Account, AccountEvent>> results = Flux.concat(commands).collectList().block(TIMEOUT);

        assertEquals(101, results.get(10).state().balance());
        assertEquals(12, results.get(10).version());
        // Each command evolved its own event only: none loaded the aggregate again.
        assertEquals(11, evolved.get());
        assertEquals(101, repository.load("1").block(TIMEOUT).state().balance());
    }

    @Test
    void aCommandHandedAStateThatAnotherWriterMovedOnReloadsAndRetries() {
        accounts.create("1", Bank.open("alice")).block(TIMEOUT);
        Sinks.Empty<Void> gate = Sinks.empty();
        Mono<CommandResult<Account, AccountEvent>> first =
                accounts.update("1", Command.async(account -> gate.asMono().thenReturn(List.<AccountEvent>of(new Deposited(1))))).cache();
        Mono<CommandResult<Account, AccountEvent>> second = accounts.update("1", Bank.deposit(5)).cache();
        first.subscribe();
        second.subscribe();
        // Another writer (not this repository) appends while the first command holds the turn, after
        // its decision read the state: the first conflicts and retries; then the second is handed
        // the first's state, which is current.
        store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.any(), List.of(Bank.serializer().serialize(new Deposited(100))))
                .block(TIMEOUT);
        gate.tryEmitEmpty().orThrow();
        assertEquals(2, first.block(TIMEOUT).attempts());
        CommandResult<Account, AccountEvent> after = second.block(TIMEOUT);
        assertEquals(1, after.attempts());
        assertEquals(106, after.state().balance());

        // A write from elsewhere between two commands in turn: the handed state is behind the stream,
        // so the append conflicts, and the retry reloads.
        AtomicInteger runs = new AtomicInteger();
        Sinks.Empty<Void> secondGate = Sinks.empty();
        Mono<CommandResult<Account, AccountEvent>> holder =
                accounts.update("1", Command.async(account -> secondGate.asMono().thenReturn(List.<AccountEvent>of(new Deposited(1))))).cache();
        Mono<CommandResult<Account, AccountEvent>> behind = accounts.update("1", Command.async(account -> {
            Mono<Void> racer = runs.incrementAndGet() == 1
                    ? store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.any(),
                            List.of(Bank.serializer().serialize(new Deposited(1000)))).then()
                    : Mono.empty();
            return racer.thenReturn(List.<AccountEvent>of(new Deposited(5)));
        })).cache();
        holder.subscribe();
        behind.subscribe();
        secondGate.tryEmitEmpty().orThrow();
        CommandResult<Account, AccountEvent> retried = behind.block(TIMEOUT);
        assertEquals(2, retried.attempts());
        assertEquals(106 + 1 + 1000 + 5, retried.state().balance());
        assertEquals(106 + 1 + 1000 + 5, accounts.load("1").block(TIMEOUT).state().balance());
    }

    @Test
    void metadataFromTheReactorContextIsOnEveryEvent() {
        Command<Account, AccountEvent> openAndFund = Command.of(account -> List.of(new Bank.Opened("alice"), new Deposited(10)));
        accounts.create("1", openAndFund)
                .contextWrite(CommandMetadata.correlatedBy("req-7").withUser("alice").with("tenant", "t1").into())
                .block(TIMEOUT);
        List<RecordedEvent> recorded = store.readStream(Bank.ACCOUNT.streamId("1")).collectList().block(TIMEOUT);
        assertEquals(2, recorded.size());
        JsonMapper json = JsonMapper.builder().build();
        for (RecordedEvent event : recorded) {
            var metadata = json.readTree(event.metadata());
            assertEquals("req-7", metadata.get("correlationId").asString());
            assertEquals("alice", metadata.get("user").asString());
            assertEquals("t1", metadata.get("tenant").asString());
        }
    }

    @Test
    void anUndecodableEventFailsTheLoadWithADecodingError() {
        store.append(Bank.ACCOUNT.streamId("1"), ExpectedVersion.noStream(), List.of(EventData.of("account.opened", "{\"owner\": [1]}")))
                .block(TIMEOUT);
        accounts.load("1").as(StepVerifier::create).expectError(EventDecodingException.class).verify(TIMEOUT);
    }

    @Test
    void badArgumentsFailAtCallTime() {
        assertThrows(NullPointerException.class, () -> accounts.update("1", null));
        assertThrows(IllegalArgumentException.class, () -> accounts.update(" ", Bank.deposit(1)));
        assertThrows(NullPointerException.class, () -> accounts.load(null));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(0, Duration.ZERO, Duration.ZERO, 0));
        assertThrows(IllegalArgumentException.class, () -> new RetryPolicy(1, Duration.ofSeconds(2), Duration.ofSeconds(1), 0));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.empty().with("user", "x"));
    }
}
