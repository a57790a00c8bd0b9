package io.reactivees.inmemory.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.CommandIdReusedException;
import io.reactivees.core.aggregate.CommandIds;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.aggregate.MultiCommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import io.reactivees.inmemory.aggregate.Bank.Deposited;
import io.reactivees.inmemory.aggregate.Bank.InsufficientFunds;
import io.reactivees.inmemory.aggregate.Bank.Withdrawn;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** One decision over several aggregates: one atomic commit, checks on streams only read, retries, idempotency. */
class MultiAggregateRepositoryTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final AggregateRepository<Account, AccountEvent> single = AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
            .retryPolicy(new RetryPolicy(100, Duration.ZERO, Duration.ofMillis(2), 1.0))
            .build();
    private final MultiAggregateRepository<Account, AccountEvent> accounts = MultiAggregateRepository.of(single);
    private final AtomicInteger decisions = new AtomicInteger();

    /** Moves {@code amount} from one account to another, if the payer has it. */
    private MultiCommand<Account, AccountEvent> transfer(String from, String to, long amount) {
        return MultiCommand.<Account, AccountEvent>of(states -> {
            decisions.incrementAndGet();
            Account payer = states.get(from);
            if (payer.balance() < amount) {
                throw new InsufficientFunds(payer.balance(), amount);
            }
            return Map.of(from, List.of(new Withdrawn(amount)), to, List.of(new Deposited(amount)));
        }).withFingerprint("account.transfer", from + ">" + to + ":" + amount);
    }

    /** The same decision after a pause, so that concurrent decisions overlap. */
    private static MultiCommand<Account, AccountEvent> slowly(MultiCommand<Account, AccountEvent> command) {
        return MultiCommand.<Account, AccountEvent>async(states -> Mono.delay(Duration.ofMillis(1)).then(command.decide(states)))
                .withFingerprint(command.fingerprint().orElseThrow().commandType(), command.fingerprint().orElseThrow().inputHash());
    }

    private void open(String id, long balance) {
        single.create(id, Bank.open(id)).block(TIMEOUT);
        if (balance > 0) {
            single.update(id, Bank.deposit(balance)).block(TIMEOUT);
        }
    }

    private long balance(String id) {
        return single.load(id).block(TIMEOUT).state().balance();
    }

    private List<RecordedEvent> stored() {
        return store.load(EventQuery.all()).collectList().block(TIMEOUT);
    }

    private static <T> Mono<T> withId(Mono<T> command, String commandId) {
        return command.contextWrite(CommandMetadata.correlatedBy("corr").withCommandId(commandId).into());
    }

    @Test
    void aTransferWritesBothAccountsInOneCommitAndReturnsBothStates() {
        open("a", 100);
        open("b", 0);

        MultiCommandResult<Account, AccountEvent> result = accounts.update(List.of("a", "b"), transfer("a", "b", 30))
                .contextWrite(CommandMetadata.correlatedBy("t-1").into())
                .block(TIMEOUT);

        assertEquals(new Account("a", 70), result.state("a"));
        assertEquals(new Account("b", 30), result.state("b"));
        assertEquals(3, result.get("a").version());
        assertEquals(2, result.get("b").version());
        assertEquals(List.of(new Withdrawn(30)), result.get("a").events());
        assertEquals(List.of("a", "b"), List.copyOf(result.aggregates().keySet()));
        assertEquals(1, result.attempts());
        assertFalse(result.replayed());
        List<RecordedEvent> events = stored();
        RecordedEvent sent = events.get(events.size() - 2);
        RecordedEvent received = events.get(events.size() - 1);
        assertEquals(sent.position().commit(), received.position().commit(), "one commit");
        assertEquals("t-1", JSON.readTree(sent.metadata()).get("correlationId").asString());
        assertEquals("t-1", JSON.readTree(received.metadata()).get("correlationId").asString());
        assertEquals(70, balance("a"));
        assertThrows(IllegalArgumentException.class, () -> result.get("c"));
    }

    @Test
    void anAggregateOnlyReadIsCheckedSoAConcurrentChangeToItIsRetried() {
        open("a", 100);
        open("b", 0);
        open("judge", 0);
        AtomicInteger runs = new AtomicInteger();
        // The transfer is allowed only while the judge's balance is 0; another writer changes the
        // judge during the first decision.
        MultiCommand<Account, AccountEvent> guarded = MultiCommand.async(states -> {
            Mono<Void> racer = runs.incrementAndGet() == 1
                    ? store.append(Bank.ACCOUNT.streamId("judge"), ExpectedVersion.any(),
                            List.of(Bank.serializer().serialize(new Deposited(1)))).then()
                    : Mono.empty();
            boolean allowed = states.get("judge").balance() == 0;
            return racer.thenReturn(allowed
                    ? Map.<String, List<AccountEvent>>of("a", List.of(new Withdrawn(10)), "b", List.of(new Deposited(10)))
                    : Map.<String, List<AccountEvent>>of());
        });

        MultiCommandResult<Account, AccountEvent> result = accounts.update(List.of("a", "b", "judge"), guarded).block(TIMEOUT);

        assertEquals(2, result.attempts());
        assertEquals(List.of(), result.get("a").events(), "the retry saw the judge's change and decided nothing");
        assertEquals(100, balance("a"));
        assertEquals(new Account("judge", 1), result.state("judge"));
        assertNull(result.get("judge").append());
    }

    @Test
    void aDomainErrorIsNeverRetriedAndChangesNothing() {
        open("a", 10);
        open("b", 0);
        int before = stored().size();
        accounts.update(List.of("a", "b"), transfer("a", "b", 50)).as(StepVerifier::create)
                .expectError(InsufficientFunds.class)
                .verify(TIMEOUT);
        assertEquals(1, decisions.get());
        assertEquals(before, stored().size());
    }

    @Test
    void updateOfAMissingAggregateIsNotFoundAndExecuteSeesTheInitialState() {
        open("a", 10);
        accounts.update(List.of("a", "nobody"), transfer("a", "nobody", 5)).as(StepVerifier::create)
                .expectErrorMatches(e -> e instanceof AggregateNotFoundException missing
                        && missing.streamId().equals(Bank.ACCOUNT.streamId("nobody")))
                .verify(TIMEOUT);
        assertEquals(0, decisions.get());
        assertEquals(2, stored().size());

        MultiCommandResult<Account, AccountEvent> result = accounts.execute(List.of("a", "new"), transfer("a", "new", 5)).block(TIMEOUT);
        assertEquals(new Account("", 5), result.state("new"));
        assertEquals(1, result.get("new").version());
    }

    @Test
    void badInputFailsTypedAndChangesNothing() {
        open("a", 10);
        open("b", 0);
        int before = stored().size();
        assertThrows(NullPointerException.class, () -> accounts.update(null, transfer("a", "b", 1)));
        assertThrows(NullPointerException.class, () -> accounts.update(List.of("a", "b"), null));
        assertThrows(NullPointerException.class, () -> accounts.update(Arrays.asList("a", null), transfer("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> accounts.update(List.of(), transfer("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> accounts.update(List.of("a", "a"), transfer("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> accounts.update(List.of("a", " "), transfer("a", "b", 1)));
        assertThrows(NullPointerException.class, () -> MultiAggregateRepository.of(null));
        // a decision for an aggregate the command was not given
        accounts.update(List.of("a", "b"), MultiCommand.<Account, AccountEvent>of(states -> Map.of("c", List.of(new Deposited(1)))))
                .as(StepVerifier::create)
                .expectErrorMatches(e -> e instanceof IllegalArgumentException && e.getMessage().contains("aggregate c"))
                .verify(TIMEOUT);
        // a command id without a fingerprint
        withId(accounts.update(List.of("a", "b"), MultiCommand.<Account, AccountEvent>of(states -> Map.of())), "k")
                .as(StepVerifier::create)
                .expectErrorMatches(e -> e instanceof IllegalArgumentException && e.getMessage().contains("fingerprint"))
                .verify(TIMEOUT);
        assertEquals(before, stored().size());
    }

    @Test
    void aDecisionOfNothingWritesNothing() {
        open("a", 10);
        open("b", 0);
        MultiCommandResult<Account, AccountEvent> result = accounts.update(List.of("a", "b"),
                MultiCommand.<Account, AccountEvent>of(states -> Map.of())).block(TIMEOUT);
        assertEquals(new Account("a", 10), result.state("a"));
        assertEquals(List.of(), result.get("b").events());
        assertEquals(3, stored().size());
    }

    @Test
    void aRerunWithTheSameIdAnswersTheCommitEvenAfterTheAccountsMovedOn() {
        open("a", 100);
        open("b", 0);
        open("judge", 0);
        MultiCommand<Account, AccountEvent> command = MultiCommand.<Account, AccountEvent>of(states -> {
            decisions.incrementAndGet();
            return Map.of("a", List.of(new Withdrawn(25)), "b", List.of(new Deposited(25)));
        }).withFingerprint("account.transfer", "a>b:25");
        List<String> ids = List.of("a", "b", "judge");
        MultiCommandResult<Account, AccountEvent> original = withId(accounts.update(ids, command), "tr-1").block(TIMEOUT);
        single.update("a", Bank.deposit(1)).block(TIMEOUT);
        single.update("b", Bank.deposit(1)).block(TIMEOUT);
        single.update("judge", Bank.deposit(1)).block(TIMEOUT);
        int storedBefore = stored().size();

        MultiCommandResult<Account, AccountEvent> rerun = withId(accounts.update(ids, command), "tr-1").block(TIMEOUT);

        assertTrue(rerun.replayed());
        assertEquals(1, decisions.get());
        assertEquals(storedBefore, stored().size());
        for (String id : ids) {
            CommandResult<Account, AccountEvent> was = original.get(id);
            CommandResult<Account, AccountEvent> now = rerun.get(id);
            assertEquals(was.state(), now.state(), id);
            assertEquals(was.version(), now.version(), id);
            assertEquals(was.events(), now.events(), id);
            assertEquals(was.append(), now.append(), id);
        }
        StreamId a = Bank.ACCOUNT.streamId("a");
        assertEquals(CommandIds.eventId("tr-1", a, 0), stored().stream().filter(e -> e.streamId().equals(a)).toList().get(2).eventId());
    }

    @Test
    void anIdReusedForAnotherMultiCommandFailsTyped() {
        open("a", 100);
        open("b", 0);
        open("c", 0);
        withId(accounts.update(List.of("a", "b"), transfer("a", "b", 10)), "tr-2").block(TIMEOUT);
        int before = stored().size();
        withId(accounts.update(List.of("a", "b"), transfer("a", "b", 11)), "tr-2").as(StepVerifier::create)
                .expectError(CommandIdReusedException.class).verify(TIMEOUT);
        withId(accounts.update(List.of("a", "c"), transfer("a", "c", 10)), "tr-2").as(StepVerifier::create)
                .expectError(CommandIdReusedException.class).verify(TIMEOUT);
        withId(single.update("a", Bank.deposit(10).withFingerprint("account.transfer", "a>b:10")), "tr-2").as(StepVerifier::create)
                .expectError(CommandIdReusedException.class).verify(TIMEOUT);
        assertEquals(before, stored().size());
    }

    @Test
    void loadsFromSnapshotsAndOffersThemForWrittenAggregates() {
        InMemorySnapshotStore snapshots = InMemorySnapshotStore.create();
        AggregateRepository<Account, AccountEvent> snapshotting = AggregateRepository.builder(store, Bank.serializer(), Bank.ACCOUNT)
                .snapshots(Snapshotter.builder(snapshots, "account", JSON, Account.class).policy(SnapshotPolicy.everyEvents(1)).build())
                .build();
        open("a", 100);
        open("b", 0);
        open("c", 0);
        MultiAggregateRepository.of(snapshotting).update(List.of("a", "b", "c"), transfer("a", "b", 40)).block(TIMEOUT);
        assertEquals(3, snapshots.load(Bank.ACCOUNT.streamId("a"), "account").block(TIMEOUT).streamVersion());
        assertEquals(2, snapshots.load(Bank.ACCOUNT.streamId("b"), "account").block(TIMEOUT).streamVersion());
        assertNull(snapshots.load(Bank.ACCOUNT.streamId("c"), "account").block(TIMEOUT), "no snapshot of an aggregate only read");
        MultiCommandResult<Account, AccountEvent> next =
                MultiAggregateRepository.of(snapshotting).update(List.of("a", "b"), transfer("a", "b", 1)).block(TIMEOUT);
        assertEquals(new Account("a", 59), next.state("a"));
    }

    @Test
    void concurrentOverlappingTransfersAmongFiveAccountsFromSixteenWritersApplyEachExactlyOnce() {
        List<String> ids = List.of("p", "q", "r", "s", "t");
        for (String id : ids) {
            open(id, 1_000);
        }
        int writers = 16;
        int perWriter = 12;
        List<Mono<MultiCommandResult<Account, AccountEvent>>> transfers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            for (int n = 0; n < perWriter; n++) {
                String from = ids.get((w + n) % 5);
                String to = ids.get((w + 2 * n + 1) % 5);
                if (from.equals(to)) {
                    to = ids.get((w + 2 * n + 2) % 5);
                }
                long amount = 1 + (w * perWriter + n) % 7;
                String commandId = "tx-" + w + "-" + n;
                Mono<MultiCommandResult<Account, AccountEvent>> one =
                        withId(accounts.update(List.of(from, to), slowly(transfer(from, to, amount))), commandId);
                // every fourth transfer is sent twice, as a client whose answer was lost would
                transfers.add(n % 4 == 0 ? one.then(one) : one);
            }
        }
        List<MultiCommandResult<Account, AccountEvent>> results = Flux.fromIterable(transfers)
                .flatMap(t -> t.subscribeOn(Schedulers.parallel()), writers)
                .collectList()
                .block(TIMEOUT);

        assertEquals(writers * perWriter, results.size());
        long total = ids.stream().mapToLong(this::balance).sum();
        assertEquals(5 * 1_000, total, "money is neither made nor lost");
        List<RecordedEvent> events = stored();
        long withdrawals = events.stream().filter(e -> e.type().equals("account.withdrawn")).count();
        long deposits = events.stream().filter(e -> e.type().equals("account.deposited")).count();
        assertEquals(writers * perWriter, withdrawals, "every transfer applied exactly once");
        assertEquals(writers * perWriter + 5, deposits);
        long distinctCommands = events.stream()
                .map(e -> JSON.readTree(e.metadata()).get("commandId"))
                .filter(id -> id != null)
                .map(id -> id.asString())
                .distinct()
                .count();
        assertEquals(writers * perWriter, distinctCommands);
        assertTrue(results.stream().anyMatch(r -> r.attempts() > 1), "overlapping transfers should have met conflicts");
    }
}
