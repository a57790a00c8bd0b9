package io.reactivees.inmemory.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateState;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import io.reactivees.inmemory.aggregate.Bank.Deposited;
import io.reactivees.inmemory.aggregate.Bank.Opened;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.annotation.JsonSerialize;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.util.StdConverter;

/**
 * {@link AggregateRepository} with snapshots: when a snapshot is used (and only the tail replayed),
 * when it is ignored (another schema version, ahead of the stream, undecodable, the snapshot store
 * failing) and the stream replayed in full, and when the policy takes new ones. Events read are
 * counted by a wrapping store, so "tail only" is proved, not assumed.
 */
class AggregateSnapshotTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String ID = "1";
    private static final StreamId STREAM = Bank.ACCOUNT.streamId(ID);

    private final CountingEventStore events = new CountingEventStore(InMemoryEventStore.create());
    private final InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();

    private AggregateRepository<Account, AccountEvent> repository(SnapshotStore store, SnapshotPolicy policy, int schemaVersion) {
        return AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT)
                .retryPolicy(new RetryPolicy(100, Duration.ofMillis(1), Duration.ofMillis(20), 1.0))
                .snapshots(Snapshotter.builder(store, "account", JSON, Account.class)
                        .schemaVersion(schemaVersion)
                        .policy(policy)
                        .build())
                .build();
    }

    private AggregateRepository<Account, AccountEvent> repository(SnapshotPolicy policy) {
        return repository(snapshots, policy, 1);
    }

    /** The same aggregate without snapshots: the truth to compare against. */
    private AggregateRepository<Account, AccountEvent> withoutSnapshots() {
        return AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT).build();
    }

    /** Opens the account and deposits 1, 2, ... so the stream has {@code count} events. */
    private void givenEvents(int count) {
        List<EventData> data = IntStream.range(0, count)
                .mapToObj(i -> Bank.serializer().serialize(i == 0 ? new Opened("alice") : new Deposited(i)))
                .collect(Collectors.toList());
        events.append(STREAM, ExpectedVersion.noStream(), data).block(TIMEOUT);
        events.reset();
    }

    /** The balance after {@code count} events of {@link #givenEvents}. */
    private static long balanceAfter(int count) {
        return (long) (count - 1) * count / 2;
    }

    private void plant(long version, int schemaVersion, String json) {
        snapshots.save(new StoredSnapshot(STREAM, "account", version, schemaVersion, json.getBytes(StandardCharsets.UTF_8))).block(TIMEOUT);
    }

    private void plant(long version, Account state) {
        plant(version, 1, JSON.writeValueAsString(state));
    }

    private StoredSnapshot snapshot() {
        return snapshots.load(STREAM, "account").block(TIMEOUT);
    }

    private Account snapshotState() {
        return JSON.readValue(snapshot().data(), Account.class);
    }

    // ---------------------------------------------------------------- loading

    @Test
    void aSnapshotBehindTheStreamIsUsedAndOnlyTheTailIsReplayed() {
        givenEvents(10);
        // A state no replay could produce proves the snapshot was used.
        plant(6, new Account("from-snapshot", 1000));

        AggregateState<Account> loaded = repository(SnapshotPolicy.never()).load(ID).block(TIMEOUT);

        assertEquals(new Account("from-snapshot", 1000 + 6 + 7 + 8 + 9), loaded.state());
        assertEquals(10, loaded.version());
        // One read from the snapshot's version: event 6 proves the stream reached it, 7..10 are applied.
        assertEquals(List.of(ReadOptions.forwards().fromVersion(6)), events.reads());
        assertEquals(5, events.eventsRead());
    }

    @Test
    void aSnapshotTakenByThePolicyMakesTheNextLoadReadOnlyTheTail() {
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(50));
        accounts.create(ID, Command.of(account -> IntStream.range(0, 60)
                .mapToObj(i -> i == 0 ? (AccountEvent) new Opened("alice") : new Deposited(i))
                .collect(Collectors.toList()))).block(TIMEOUT);
        assertEquals(60, snapshot().streamVersion());
        accounts.update(ID, Bank.deposit(1000)).block(TIMEOUT);
        events.reset();

        AggregateState<Account> loaded = accounts.load(ID).block(TIMEOUT);

        assertEquals(new Account("alice", balanceAfter(60) + 1000), loaded.state());
        assertEquals(61, loaded.version());
        assertEquals(2, events.eventsRead());
        assertEquals(withoutSnapshots().load(ID).block(TIMEOUT), loaded);
    }

    @Test
    void aSnapshotAtTheStreamVersionReplaysNothing() {
        givenEvents(10);
        plant(10, new Account("from-snapshot", 7));

        AggregateState<Account> loaded = repository(SnapshotPolicy.never()).load(ID).block(TIMEOUT);

        assertEquals(new Account("from-snapshot", 7), loaded.state());
        assertEquals(10, loaded.version());
        assertEquals(1, events.eventsRead());
    }

    @Test
    void aSnapshotOfAnotherSchemaVersionIsIgnoredAndTheStreamReplayedInFull() {
        givenEvents(10);
        plant(6, 1, JSON.writeValueAsString(new Account("from-snapshot", 1000)));

        AggregateState<Account> loaded = repository(snapshots, SnapshotPolicy.never(), 2).load(ID).block(TIMEOUT);

        assertEquals(new Account("alice", balanceAfter(10)), loaded.state());
        assertEquals(10, loaded.version());
        assertEquals(List.of(ReadOptions.forwards()), events.reads());
        assertEquals(10, events.eventsRead());
    }

    @Test
    void aSnapshotAheadOfTheStreamIsIgnoredAndTheStreamReplayedInFull() {
        givenEvents(4);
        plant(9, new Account("from-snapshot", 1000));

        AggregateState<Account> loaded = repository(SnapshotPolicy.never()).load(ID).block(TIMEOUT);

        assertEquals(new Account("alice", balanceAfter(4)), loaded.state());
        assertEquals(4, loaded.version());
        assertEquals(List.of(ReadOptions.forwards().fromVersion(9), ReadOptions.forwards()), events.reads());
        assertEquals(4, events.eventsRead());
    }

    @Test
    void aSnapshotOfAStreamThatDoesNotExistIsIgnored() {
        plant(3, new Account("from-snapshot", 1000));

        AggregateState<Account> loaded = repository(SnapshotPolicy.never()).load(ID).block(TIMEOUT);

        assertEquals(Account.NONE, loaded.state());
        assertEquals(0, loaded.version());
    }

    @Test
    void anUndecodableSnapshotIsIgnoredAndTheStreamReplayedInFull() {
        givenEvents(10);
        for (String undecodable : List.of("[1, 2, 3]", "{\"owner\": \"x\", \"balance\": \"lots\"}", "\"text\"", "null")) {
            plant(6, 1, undecodable);
            events.reset();

            AggregateState<Account> loaded = repository(SnapshotPolicy.never()).load(ID).block(TIMEOUT);

            assertEquals(new Account("alice", balanceAfter(10)), loaded.state(), undecodable);
            assertEquals(10, loaded.version());
            assertEquals(List.of(ReadOptions.forwards()), events.reads(), undecodable);
            assertEquals(10, events.eventsRead(), undecodable);
        }
    }

    @Test
    void aFailingSnapshotStoreMeansAFullReplayNotAFailure() {
        givenEvents(10);
        plant(6, new Account("from-snapshot", 1000));
        AggregateRepository<Account, AccountEvent> accounts = repository(new FailingSnapshotStore(snapshots, true, false), SnapshotPolicy.never(), 1);

        accounts.load(ID)
                .as(StepVerifier::create)
                .assertNext(loaded -> assertEquals(new Account("alice", balanceAfter(10)), loaded.state()))
                .expectComplete()
                .verify(TIMEOUT);
        assertEquals(10, events.eventsRead());
        assertEquals(11, accounts.update(ID, Bank.deposit(1)).block(TIMEOUT).version());
    }

    @Test
    void anUpdateFromASnapshotAppendsAtTheStreamVersion() {
        givenEvents(10);
        plant(8, new Account("alice", balanceAfter(8)));

        CommandResult<Account, AccountEvent> result = repository(SnapshotPolicy.never()).update(ID, Bank.withdraw(45)).block(TIMEOUT);

        assertEquals(11, result.version());
        assertEquals(10, result.append().fromVersion());
        assertEquals(new Account("alice", balanceAfter(10) - 45), result.state());
        assertEquals(1, result.attempts());
    }

    // ---------------------------------------------------------------- taking snapshots

    @Test
    void policyNeverTakesNoSnapshot() {
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.never());
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
        for (int i = 0; i < 20; i++) {
            accounts.update(ID, Bank.deposit(i)).block(TIMEOUT);
        }
        snapshots.load(STREAM, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
    }

    @Test
    void everyEventsTakesASnapshotOnceThatManyEventsHavePiledUp() {
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(3));
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
        accounts.update(ID, Bank.deposit(10)).block(TIMEOUT);
        assertNull(snapshot());

        accounts.update(ID, Bank.deposit(20)).block(TIMEOUT);
        assertEquals(3, snapshot().streamVersion());
        assertEquals(1, snapshot().schemaVersion());
        assertEquals(new Account("alice", 30), snapshotState());

        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT);
        accounts.update(ID, Bank.deposit(2)).block(TIMEOUT);
        assertEquals(3, snapshot().streamVersion());

        accounts.update(ID, Bank.deposit(3)).block(TIMEOUT);
        assertEquals(6, snapshot().streamVersion());
        assertEquals(new Account("alice", 36), snapshotState());
    }

    @Test
    void oneCommandAppendingManyEventsCanCrossThePolicyAtOnce() {
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(3));
        accounts.create(ID, Command.of(account -> List.of(new Opened("alice"), new Deposited(1), new Deposited(2), new Deposited(3))))
                .block(TIMEOUT);
        assertEquals(4, snapshot().streamVersion());
        assertEquals(new Account("alice", 6), snapshotState());
    }

    @Test
    void eventsAreCountedFromTheSnapshotTheCommandStartedFrom() {
        givenEvents(10);
        plant(9, new Account("alice", balanceAfter(9)));
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(3));

        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT); // 2 events since the snapshot at 9
        assertEquals(9, snapshot().streamVersion());
        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT); // 3
        assertEquals(12, snapshot().streamVersion());
        assertEquals(new Account("alice", balanceAfter(10) + 2), snapshotState());
    }

    @Test
    void anIgnoredSnapshotIsReplacedWhenThePolicyNextTakesOne() {
        givenEvents(10);
        plant(6, 1, JSON.writeValueAsString(new Account("stale", 0)));
        AggregateRepository<Account, AccountEvent> accounts = repository(snapshots, SnapshotPolicy.everyEvents(5), 2);

        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT); // a full replay: 11 events since no usable snapshot

        assertEquals(11, snapshot().streamVersion());
        assertEquals(2, snapshot().schemaVersion());
        assertEquals(new Account("alice", balanceAfter(10) + 1), snapshotState());
    }

    @Test
    void aSnapshotAheadOfTheStreamIsOverwrittenByTheNextOneTaken() {
        givenEvents(4);
        plant(9, new Account("from-snapshot", 1000));
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(5));

        accounts.update(ID, Bank.deposit(100)).block(TIMEOUT);

        assertEquals(5, snapshot().streamVersion());
        assertEquals(new Account("alice", balanceAfter(4) + 100), snapshotState());
    }

    @Test
    void aCommandThatDecidesNothingTakesNoSnapshot() {
        givenEvents(10);
        repository(SnapshotPolicy.everyEvents(1)).update(ID, Command.of(account -> List.of())).block(TIMEOUT);
        assertNull(snapshot());
    }

    @Test
    void aFailingSnapshotWriteNeverFailsTheCommand() {
        AggregateRepository<Account, AccountEvent> accounts =
                repository(new FailingSnapshotStore(snapshots, false, true), SnapshotPolicy.everyEvents(1), 1);

        accounts.create(ID, Bank.open("alice"))
                .as(StepVerifier::create)
                .assertNext(result -> assertEquals(1, result.version()))
                .expectComplete()
                .verify(TIMEOUT);
        accounts.update(ID, Bank.deposit(5))
                .as(StepVerifier::create)
                .assertNext(result -> assertEquals(new Account("alice", 5), result.state()))
                .expectComplete()
                .verify(TIMEOUT);
        assertEquals(2L, events.streamVersion(STREAM).block(TIMEOUT));
        assertNull(snapshot());
    }

    @Test
    void aStateThatCannotBeEncodedFailsOnlyTheSnapshot() {
        JsonMapper failing = JsonMapper.builder().addMixIn(Account.class, UnwritableAccount.class).build();
        AggregateRepository<Account, AccountEvent> accounts = AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT)
                .snapshots(Snapshotter.builder(snapshots, "account", failing, Account.class).policy(SnapshotPolicy.everyEvents(1)).build())
                .build();

        CommandResult<Account, AccountEvent> result = accounts.create(ID, Bank.open("alice")).block(TIMEOUT);

        assertEquals(new Account("alice", 0), result.state());
        assertEquals(1L, events.streamVersion(STREAM).block(TIMEOUT));
        assertNull(snapshot());
    }

    @Test
    void aSnapshotIsNotBuiltWhenThePolicyDeclines() {
        CountingConverter.CALLS.set(0);
        JsonMapper counting = JsonMapper.builder().addMixIn(Account.class, CountedAccount.class).build();
        AggregateRepository<Account, AccountEvent> accounts = AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT)
                .snapshots(Snapshotter.builder(snapshots, "account", counting, Account.class).policy(SnapshotPolicy.everyEvents(3)).build())
                .build();
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT);
        assertEquals(0, CountingConverter.CALLS.get());
        accounts.update(ID, Bank.deposit(1)).block(TIMEOUT);
        assertEquals(1, CountingConverter.CALLS.get());
        assertEquals(3, snapshot().streamVersion());
    }

    @Test
    void concurrentCommandsWithSnapshotsAllCountExactlyOnce() {
        AggregateRepository<Account, AccountEvent> accounts = repository(SnapshotPolicy.everyEvents(2));
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
        Flux.range(1, 32)
                .flatMap(i -> accounts.update(ID, Bank.deposit(i)).subscribeOn(Schedulers.parallel()), 32)
                .then()
                .block(TIMEOUT);
        AggregateState<Account> fromSnapshot = accounts.load(ID).block(TIMEOUT);
        assertEquals(new Account("alice", 32 * 33 / 2), fromSnapshot.state());
        assertEquals(33, fromSnapshot.version());
        assertEquals(withoutSnapshots().load(ID).block(TIMEOUT), fromSnapshot);
        assertTrue(snapshot().streamVersion() >= 2);
    }

    @Test
    void theSnapshotterMustDecodeTheAggregatesState() {
        AggregateType<String, AccountEvent> text = AggregateType.of("text", AccountEvent.class, "", (s, e) -> s);
        Snapshotter<String> strings = Snapshotter.builder(snapshots, "text", JSON, String.class).build();
        AggregateRepository.builder(events, Bank.serializer(), text).snapshots(strings);
        @SuppressWarnings({"unchecked", "rawtypes"})
        Snapshotter<Account> wrong = (Snapshotter) strings;
        assertThrows(IllegalArgumentException.class,
                () -> AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT).snapshots(wrong));
        assertThrows(NullPointerException.class,
                () -> AggregateRepository.builder(events, Bank.serializer(), Bank.ACCOUNT).snapshots(null));
    }

    /** Makes Jackson count the accounts it writes. */
    abstract static class CountedAccount {
        @JsonSerialize(converter = CountingConverter.class)
        abstract long balance();
    }

    /** Passes the balance through, counting. */
    static final class CountingConverter extends StdConverter<Long, Long> {
        static final AtomicInteger CALLS = new AtomicInteger();

        @Override
        public Long convert(Long value) {
            CALLS.incrementAndGet();
            return value;
        }
    }

    /** Makes Jackson fail to write an account. */
    abstract static class UnwritableAccount {
        @JsonSerialize(converter = FailingConverter.class)
        abstract long balance();
    }

    /** Fails every conversion. */
    static final class FailingConverter extends StdConverter<Long, Long> {
        @Override
        public Long convert(Long value) {
            throw new IllegalStateException("this state cannot be written");
        }
    }

    /** A snapshot store whose loads or saves fail as if its database were down. */
    private static final class FailingSnapshotStore implements SnapshotStore {
        private final SnapshotStore delegate;
        private final boolean failLoads;
        private final boolean failSaves;

        FailingSnapshotStore(SnapshotStore delegate, boolean failLoads, boolean failSaves) {
            this.delegate = delegate;
            this.failLoads = failLoads;
            this.failSaves = failSaves;
        }

        @Override
        public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
            return failLoads ? Mono.error(new StoreUnavailableException("snapshots are down", null)) : delegate.load(stream, snapshotType);
        }

        @Override
        public Mono<Void> save(StoredSnapshot snapshot) {
            return failSaves ? Mono.error(new StoreUnavailableException("snapshots are down", null)) : delegate.save(snapshot);
        }
    }
}
