package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandIds;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.aggregate.MultiCommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Idempotent commands on a real PostgreSQL: a command whose commit landed but whose answer was lost
 * with its connection is answered, when sent again with its command id, as that commit; and
 * overlapping multi-aggregate commands from many writers each apply exactly once.
 */
class IdempotentCommandIT {

    sealed interface AccountEvent permits Opened, Debited, Credited {}

    @EventType("account.opened")
    record Opened(long balance) implements AccountEvent {}

    @EventType("account.debited")
    record Debited(long amount, String transfer) implements AccountEvent {}

    @EventType("account.credited")
    record Credited(long amount, String transfer) implements AccountEvent {}

    private static final AggregateType<Long, AccountEvent> ACCOUNT = AggregateType.of("account", AccountEvent.class, 0L,
            (balance, event) -> event instanceof Opened opened ? opened.balance()
                    : event instanceof Debited debited ? balance - debited.amount()
                    : balance + ((Credited) event).amount());
    private static final EventSerializer SERIALIZER =
            JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Opened.class, Debited.class, Credited.class));
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private StoreOnSchema on;
    private AnswerSwallowingProxy proxy;

    @AfterEach
    void close() throws Exception {
        if (on != null) {
            on.close();
        }
        if (proxy != null) {
            proxy.close();
        }
    }

    private static <T> Mono<T> withId(Mono<T> command, String commandId) {
        return command.contextWrite(CommandMetadata.identifiedBy(commandId).into());
    }

    private long stored(java.util.UUID eventId) {
        try (RawSession sql = new RawSession()) {
            return (Long) sql.value("SELECT count(*) FROM " + on.table("events") + " WHERE event_id = $1", eventId);
        }
    }

    @Test
    void aCommitWhoseAnswerWasLostWithItsConnectionIsAnsweredByTheRerunWithOneCommitInTheLog() throws Exception {
        proxy = AnswerSwallowingProxy.forTestDatabase();
        String applicationName = PgTestSupport.applicationName("lostack");
        on = PgTestSupport.newStore(proxy.connectionFactory(applicationName), options -> options.poolSize(0, 4));
        AggregateRepository<Long, AccountEvent> accounts = AggregateRepository.builder(on.store, SERIALIZER, ACCOUNT)
                .retryPolicy(RetryPolicy.none())
                .build();
        accounts.create("1", Command.of(balance -> List.of(new Opened(10)))).block(TIMEOUT); // opens the write lane
        StreamId stream = ACCOUNT.streamId("1");
        java.util.UUID derived = CommandIds.eventId("deposit-1", stream, 0);

        AtomicInteger decisions = new AtomicInteger();
        Command<Long, AccountEvent> deposit = Command.<Long, AccountEvent>async(balance -> {
            decisions.incrementAndGet();
            // from here on the server's answers on the store's open connections are dropped
            return Mono.fromRunnable(proxy::swallowAnswers).thenReturn(List.of(new Credited(5, "deposit-1")));
        }).withFingerprint("account.deposit", "5");
        CompletableFuture<CommandResult<Long, AccountEvent>> lost = withId(accounts.update("1", deposit), "deposit-1").toFuture();

        PgTestSupport.await("the deposit is committed", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) AS n FROM " + on.table("events") + " WHERE event_id = $1", derived)
                .map(rows -> (Long) rows.get(0).get("n") == 1));
        assertTrue(!lost.isDone(), "the commit's answer has not reached the client");
        List<Integer> backends;
        try (RawSession sql = new RawSession()) {
            backends = sql.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1", applicationName).stream()
                    .map(row -> (Integer) row.get("pid"))
                    .toList();
        }
        backends.forEach(PgTestSupport::terminate);

        ExecutionException failure = assertThrows(ExecutionException.class, () -> lost.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        assertInstanceOf(StoreUnavailableException.class, failure.getCause(), "the caller only knows the store went away");
        assertEquals(1, stored(derived), "but the commit landed");

        CommandResult<Long, AccountEvent> rerun = withId(accounts.update("1", deposit), "deposit-1").block(TIMEOUT);

        assertTrue(rerun.replayed());
        assertEquals(15L, rerun.state());
        assertEquals(2, rerun.version());
        assertEquals(List.of(new Credited(5, "deposit-1")), rerun.events());
        assertEquals(1, decisions.get(), "the re-run did not decide again");
        List<RecordedEvent> log = on.loadAll();
        assertEquals(2, log.size(), "one commit's events in the log");
        assertEquals(1, stored(derived));
        assertEquals(rerun.append().position(), log.get(1).position());
    }

    @Test
    void overlappingTransfersAmongFiveAccountsFromSixteenWritersEachApplyExactlyOnce() {
        on = PgTestSupport.newStore(options -> options.poolSize(0, 16));
        AggregateRepository<Long, AccountEvent> single = AggregateRepository.builder(on.store, SERIALIZER, ACCOUNT)
                .retryPolicy(new RetryPolicy(200, Duration.ofMillis(2), Duration.ofMillis(100), 1.0))
                .build();
        MultiAggregateRepository<Long, AccountEvent> accounts = MultiAggregateRepository.of(single);
        List<String> ids = List.of("p", "q", "r", "s", "t");
        for (String id : ids) {
            single.create(id, Command.of(balance -> List.of(new Opened(1_000)))).block(TIMEOUT);
        }
        int writers = 16;
        int perWriter = 8;
        List<Mono<MultiCommandResult<Long, AccountEvent>>> transfers = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            for (int n = 0; n < perWriter; n++) {
                String from = ids.get((w + n) % 5);
                String to = ids.get((w + 2 * n + 1) % 5);
                if (from.equals(to)) {
                    to = ids.get((w + 2 * n + 2) % 5);
                }
                String transfer = "tx-" + w + "-" + n;
                long amount = 1 + (w * perWriter + n) % 7;
                String payer = from;
                String payee = to;
                MultiCommand<Long, AccountEvent> move = MultiCommand.<Long, AccountEvent>of(balances -> Map.of(
                                payer, List.of(new Debited(amount, transfer)),
                                payee, List.of(new Credited(amount, transfer))))
                        .withFingerprint("account.transfer", payer + ">" + payee + ":" + amount);
                Mono<MultiCommandResult<Long, AccountEvent>> one = withId(accounts.update(List.of(payer, payee), move), transfer);
                // every third transfer is sent twice, as a client that lost its answer would
                transfers.add(n % 3 == 0 ? one.then(one) : one);
            }
        }

        List<MultiCommandResult<Long, AccountEvent>> results = Flux.fromIterable(transfers)
                .flatMap(t -> t.subscribeOn(Schedulers.parallel()), writers)
                .collectList()
                .block(Duration.ofSeconds(120));

        assertEquals(writers * perWriter, results.size());
        long total = ids.stream().mapToLong(id -> single.load(id).block(TIMEOUT).state()).sum();
        assertEquals(5 * 1_000, total, "money is neither made nor lost");
        List<RecordedEvent> log = on.loadAll();
        Map<String, Long> debits = log.stream().filter(e -> e.type().equals("account.debited"))
                .collect(Collectors.groupingBy(e -> JSON.readTree(e.data()).get("transfer").asString(), Collectors.counting()));
        Map<String, Long> credits = log.stream().filter(e -> e.type().equals("account.credited"))
                .collect(Collectors.groupingBy(e -> JSON.readTree(e.data()).get("transfer").asString(), Collectors.counting()));
        assertEquals(writers * perWriter, debits.size(), "every transfer applied");
        assertTrue(debits.values().stream().allMatch(n -> n == 1), "no transfer debited twice: " + debits);
        assertEquals(debits, credits, "every debit has its credit, once");
        for (RecordedEvent event : log) {
            if (!event.type().equals("account.opened")) {
                String transfer = JSON.readTree(event.data()).get("transfer").asString();
                assertEquals(CommandIds.eventId(transfer, event.streamId(), 0), event.eventId(), "ids derived from the command id");
            }
        }
        assertTrue(results.stream().anyMatch(r -> r.attempts() > 1), "overlapping transfers should have met conflicts");
    }
}
