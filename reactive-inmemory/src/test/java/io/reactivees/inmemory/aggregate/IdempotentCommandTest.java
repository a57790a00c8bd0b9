package io.reactivees.inmemory.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandIdReusedException;
import io.reactivees.core.aggregate.CommandIds;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.contract.ForwardingEventStore;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import io.reactivees.inmemory.aggregate.Bank.Deposited;
import io.reactivees.inmemory.aggregate.Bank.InsufficientFunds;
import io.reactivees.inmemory.aggregate.Bank.Withdrawn;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Commands with a command id: derived event ids, a re-run answers the commit, a reused id is an error. */
class IdempotentCommandTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String ID = "1";
    private static final StreamId STREAM = Bank.ACCOUNT.streamId(ID);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final AtomicInteger decisions = new AtomicInteger();
    private final AggregateRepository<Account, AccountEvent> accounts = repository(store);

    private static AggregateRepository<Account, AccountEvent> repository(EventStore store) {
        return AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
                .retryPolicy(new RetryPolicy(5, Duration.ZERO, Duration.ofMillis(1), 0.5))
                .build();
    }

    /** A deposit that counts its decisions, with a fingerprint. */
    private Command<Account, AccountEvent> deposit(long amount) {
        return Command.<Account, AccountEvent>of(account -> {
            decisions.incrementAndGet();
            return List.of(new Deposited(amount));
        }).withFingerprint("account.deposit", Long.toString(amount));
    }

    private Command<Account, AccountEvent> withdraw(long amount) {
        return Command.<Account, AccountEvent>of(account -> {
            decisions.incrementAndGet();
            if (account.balance() < amount) {
                throw new InsufficientFunds(account.balance(), amount);
            }
            return List.of(new Withdrawn(amount));
        }).withFingerprint("account.withdraw", Long.toString(amount));
    }

    private static <T> Mono<T> withId(Mono<T> command, String commandId) {
        return command.contextWrite(CommandMetadata.correlatedBy("corr-" + commandId).withCommandId(commandId).into());
    }

    private List<RecordedEvent> stored() {
        return store.load(EventQuery.all()).collectList().block(TIMEOUT);
    }

    private void opened() {
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
    }

    @Test
    void theEventIdsAreDerivedFromTheCommandIdAndTheFirstCarriesTheFingerprint() {
        opened();
        Command<Account, AccountEvent> twoDeposits = Command.<Account, AccountEvent>of(account -> List.of(new Deposited(1), new Deposited(2)))
                .withFingerprint("account.deposit-twice", "1,2");
        withId(accounts.update(ID, twoDeposits), "cmd-1").block(TIMEOUT);

        List<RecordedEvent> events = stored().subList(1, 3);
        assertEquals(CommandIds.eventId("cmd-1", STREAM, 0), events.get(0).eventId());
        assertEquals(CommandIds.eventId("cmd-1", STREAM, 1), events.get(1).eventId());
        JsonNode first = JSON.readTree(events.get(0).metadata());
        JsonNode second = JSON.readTree(events.get(1).metadata());
        assertEquals("cmd-1", first.get("commandId").asString());
        assertEquals("corr-cmd-1", first.get("correlationId").asString());
        assertEquals(JSON.readTree("{\"type\":\"account.deposit-twice\",\"input\":\"1,2\",\"streams\":[\"account-1\"]}"),
                first.get("commandFingerprint"));
        assertEquals("cmd-1", second.get("commandId").asString());
        assertNull(second.get("commandFingerprint"), "only the first event of the stream carries the fingerprint");
    }

    @Test
    void aRerunAnswersTheOriginalResultAfterTheAggregateMovedOnAndAppendsNothing() {
        opened();
        CommandResult<Account, AccountEvent> original = withId(accounts.update(ID, deposit(100)), "dep-1").block(TIMEOUT);
        accounts.update(ID, Bank.deposit(7)).block(TIMEOUT); // the aggregate moves on
        assertEquals(1, decisions.get());

        CommandResult<Account, AccountEvent> rerun = withId(accounts.update(ID, deposit(100)), "dep-1").block(TIMEOUT);

        assertTrue(rerun.replayed());
        assertFalse(original.replayed());
        assertEquals(1, decisions.get(), "a re-run does not decide again");
        assertEquals(new Account("alice", 100), rerun.state(), "the state at the commit's last version, not the current one");
        assertEquals(2, rerun.version());
        assertEquals(List.of(new Deposited(100)), rerun.events());
        assertEquals(original.append(), rerun.append());
        assertEquals(original.state(), rerun.state());
        assertEquals(3, stored().size(), "nothing appended");
    }

    @Test
    void aCreateRerunAnswersTheCreationRatherThanAlreadyExists() {
        Command<Account, AccountEvent> open = Bank.open("alice").withFingerprint("account.open", "alice");
        CommandResult<Account, AccountEvent> created = withId(accounts.create(ID, open), "open-1").block(TIMEOUT);
        CommandResult<Account, AccountEvent> again = withId(accounts.create(ID, open), "open-1").block(TIMEOUT);
        assertTrue(again.replayed());
        assertEquals(created.append(), again.append());
        assertEquals(1, stored().size());
    }

    @Test
    void anIdReusedForAnotherCommandFailsTypedAndChangesNothing() {
        opened();
        withId(accounts.update(ID, deposit(100)), "key-1").block(TIMEOUT);

        withId(accounts.update(ID, deposit(200)), "key-1").as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    CommandIdReusedException reused = assertInstanceOf(CommandIdReusedException.class, e);
                    assertEquals("key-1", reused.commandId());
                    assertTrue(reused.storedFingerprint().contains("\"100\""), reused.storedFingerprint());
                    assertTrue(reused.givenFingerprint().contains("\"200\""), reused.givenFingerprint());
                })
                .verify(TIMEOUT);
        withId(accounts.update(ID, withdraw(10)), "key-1").as(StepVerifier::create)
                .expectError(CommandIdReusedException.class)
                .verify(TIMEOUT);
        assertEquals(1, decisions.get(), "neither reuse decided");
        assertEquals(2, stored().size());
    }

    @Test
    void aCommandIdWithoutAFingerprintFailsBeforeReadingOrWriting() {
        opened();
        withId(accounts.update(ID, Bank.deposit(5)), "key-2").as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(IllegalArgumentException.class, e);
                    assertTrue(e.getMessage().contains("fingerprint"), e.getMessage());
                })
                .verify(TIMEOUT);
        assertEquals(1, stored().size());
    }

    @Test
    void badCommandIdsAndFingerprintsAreRejectedWhenBuilt() {
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.identifiedBy(" "));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.identifiedBy("x".repeat(201)));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.identifiedBy("a\nb"));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.identifiedBy("a\ud800"));
        assertThrows(NullPointerException.class, () -> CommandMetadata.identifiedBy(null));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.empty().with("commandId", "x"));
        assertThrows(IllegalArgumentException.class, () -> CommandMetadata.empty().with("commandFingerprint", "x"));
        assertThrows(IllegalArgumentException.class, () -> deposit(1).withFingerprint("", "x"));
        assertThrows(NullPointerException.class, () -> deposit(1).withFingerprint("t", null));
        assertEquals("x".repeat(200), CommandMetadata.identifiedBy("x".repeat(200)).commandId());
    }

    @Test
    void aDomainErrorStoresNothingSoARerunDecidesAgain() {
        opened();
        withId(accounts.update(ID, withdraw(50)), "wd-1").as(StepVerifier::create)
                .expectError(InsufficientFunds.class)
                .verify(TIMEOUT);
        accounts.update(ID, Bank.deposit(80)).block(TIMEOUT);

        CommandResult<Account, AccountEvent> rerun = withId(accounts.update(ID, withdraw(50)), "wd-1").block(TIMEOUT);

        assertFalse(rerun.replayed());
        assertEquals(2, decisions.get());
        assertEquals(new Account("alice", 30), rerun.state());
    }

    @Test
    void aCommandThatDecidedNothingStoresNothingSoARerunDecidesAgain() {
        opened();
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> onceNothing = Command.<Account, AccountEvent>of(
                        account -> runs.incrementAndGet() == 1 ? List.of() : List.of(new Deposited(3)))
                .withFingerprint("account.maybe", "3");
        CommandResult<Account, AccountEvent> first = withId(accounts.update(ID, onceNothing), "noop-1").block(TIMEOUT);
        CommandResult<Account, AccountEvent> second = withId(accounts.update(ID, onceNothing), "noop-1").block(TIMEOUT);
        assertEquals(List.of(), first.events());
        assertEquals(List.of(new Deposited(3)), second.events());
        assertFalse(second.replayed());
        assertEquals(2, stored().size());
    }

    @Test
    void aRetryAfterAConflictKeepsTheDerivedIds() {
        opened();
        AtomicInteger runs = new AtomicInteger();
        Command<Account, AccountEvent> racing = Command.<Account, AccountEvent>async(account -> {
            Mono<Void> racer = runs.incrementAndGet() == 1
                    ? store.append(STREAM, ExpectedVersion.any(), List.of(Bank.serializer().serialize(new Deposited(1)))).then()
                    : Mono.empty();
            return racer.thenReturn(List.of(new Deposited(10)));
        }).withFingerprint("account.deposit", "10");

        CommandResult<Account, AccountEvent> result = withId(accounts.update(ID, racing), "retry-1").block(TIMEOUT);

        assertEquals(2, result.attempts());
        assertEquals(3, result.version());
        RecordedEvent last = stored().get(2);
        assertEquals(CommandIds.eventId("retry-1", STREAM, 0), last.eventId());
    }

    @Test
    void aConcurrentRunOfTheSameCommandThatCommittedFirstIsAnsweredAsThatCommit() {
        opened();
        AtomicInteger runs = new AtomicInteger();
        // The first decision lets another writer move the stream on and then the same command (same
        // id) commit at the new version: this run's append of those ids is a duplicate, and it is
        // answered as the other run's commit.
        AtomicReference<Command<Account, AccountEvent>> self = new AtomicReference<>();
        Command<Account, AccountEvent> deposit = Command.<Account, AccountEvent>async(account -> {
            if (runs.incrementAndGet() > 1) {
                return Mono.just(List.of(new Deposited(10)));
            }
            Mono<Void> other = store.append(STREAM, ExpectedVersion.any(), List.of(Bank.serializer().serialize(new Deposited(1)))).then();
            Mono<CommandResult<Account, AccountEvent>> sameCommand = Mono.defer(() -> withId(accounts.update(ID, self.get()), "same-1"));
            return other.then(sameCommand).thenReturn(List.of(new Deposited(10)));
        }).withFingerprint("account.deposit", "10");
        self.set(deposit);

        CommandResult<Account, AccountEvent> result = withId(accounts.update(ID, deposit), "same-1").block(TIMEOUT);

        assertTrue(result.replayed(), "answered as the concurrent commit");
        assertEquals(3, result.version());
        assertEquals(new Account("alice", 11), result.state());
        assertEquals(3, stored().size(), "the command's event is stored once");
    }

    @Test
    void aLostAcknowledgementIsAnsweredByTheRerunWithOneCommitInTheLog() {
        // The commit lands, and the caller is told the store was unavailable.
        EventStore losing = new ForwardingEventStore(store) {
            @Override
            public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
                return super.append(stream, expected, events)
                        .then(Mono.error(new StoreUnavailableException("the connection was lost before the answer", null)));
            }
        };
        accounts.create(ID, Bank.open("alice")).block(TIMEOUT);
        AggregateRepository<Account, AccountEvent> unlucky = repository(losing);
        withId(unlucky.update(ID, deposit(40)), "lost-1").as(StepVerifier::create)
                .expectError(StoreUnavailableException.class)
                .verify(TIMEOUT);

        CommandResult<Account, AccountEvent> rerun = withId(accounts.update(ID, deposit(40)), "lost-1").block(TIMEOUT);

        assertTrue(rerun.replayed());
        assertEquals(new Account("alice", 40), rerun.state());
        assertEquals(2, rerun.version());
        assertEquals(1, decisions.get());
        assertEquals(2, stored().size());
    }

    @Test
    void aRerunOffersNoSecondSnapshot() {
        AtomicInteger saves = new AtomicInteger();
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        SnapshotStore counting = new SnapshotStore() {
            @Override
            public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
                return snapshots.load(stream, snapshotType);
            }

            @Override
            public Mono<Void> save(StoredSnapshot snapshot) {
                return snapshots.save(snapshot).doOnSuccess(v -> saves.incrementAndGet());
            }
        };
        AggregateRepository<Account, AccountEvent> snapshotting = AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
                .snapshots(Snapshotter.builder(counting, "account", JSON, Account.class).policy(SnapshotPolicy.everyEvents(1)).build())
                .build();
        snapshotting.create(ID, Bank.open("alice")).block(TIMEOUT);
        withId(snapshotting.update(ID, deposit(5)), "snap-1").block(TIMEOUT);
        int afterCommit = saves.get();
        assertEquals(2, afterCommit);

        CommandResult<Account, AccountEvent> rerun = withId(snapshotting.update(ID, deposit(5)), "snap-1").block(TIMEOUT);

        assertTrue(rerun.replayed());
        assertEquals(afterCommit, saves.get(), "no snapshot offered by the re-run");
    }
}
