package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.acquired;
import static io.reactivees.r2dbc.PgTestSupport.awaitNoAcquiredConnection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * A paged read keeps one pool connection across its pages while its consumer's demand is
 * outstanding, and gives it back as soon as the demand is met, when it is cancelled and when it
 * ends. Pool acquires are counted by the pool's {@code postAllocate} hook, which r2dbc-pool runs on
 * every acquire; page queries at the connection.
 */
class HeldReadConnectionIT {

    private static final int STREAMS = 10;
    private static final int PER_STREAM = 300;
    private static final int EVENTS = STREAMS * PER_STREAM;
    private static final int PAGE = 100;

    private final String applicationName = PgTestSupport.applicationName("held");
    private final AtomicLong acquires = new AtomicLong();
    private CountingConnectionFactory counting;
    private ConnectionPool pool;
    private StoreOnSchema on;

    @BeforeEach
    void threeThousandEvents() {
        counting = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        pool = new ConnectionPool(ConnectionPoolConfiguration.builder(counting)
                .initialSize(0)
                .maxSize(4)
                .maxAcquireTime(TIMEOUT)
                .postAllocate(connection -> Flux.<Void>empty().doOnComplete(acquires::incrementAndGet))
                .build());
        on = PgTestSupport.newStore(pool, options -> options.pageSize(PAGE)).owning(pool);
        for (int s = 0; s < STREAMS; s++) {
            List<EventData> events = IntStream.range(0, PER_STREAM)
                    .mapToObj(i -> EventData.of("counted", "{\"i\":" + i + "}"))
                    .collect(Collectors.toList());
            on.store.append(stream(s), ExpectedVersion.noStream(), events).block(TIMEOUT);
        }
        on.awaitSettled();
        awaitNoAcquiredConnection(pool);
    }

    @AfterEach
    void close() {
        on.close();
    }

    private static StreamId stream(int s) {
        return StreamId.of("held", Integer.toString(s));
    }

    private long pageQueries() {
        String events = on.table("events");
        return counting.count(sql -> sql.contains(events) && sql.contains(" LIMIT $"));
    }

    @Test
    void aReadDrainedAtFullSpeedTakesOneConnectionForAllItsPages() {
        long before = acquires.get();
        long queriesBefore = pageQueries();

        assertEquals(EVENTS, on.store.load(EventQuery.all()).count().block(TIMEOUT));

        assertEquals(EVENTS / PAGE + 1, pageQueries() - queriesBefore, "one query per page, and the short one that ends the read");
        assertEquals(1, acquires.get() - before, "one pool acquire for all pages");
        awaitNoAcquiredConnection(pool);

        long beforeStream = acquires.get();
        assertEquals(PER_STREAM, on.store.readStream(stream(3), ReadOptions.forwards()).count().block(TIMEOUT));
        assertEquals(1, acquires.get() - beforeStream, "a stream read likewise");
        awaitNoAcquiredConnection(pool);
    }

    @Test
    void aReaderThatRequestsOneEventOfManyPagesHoldsNoConnectionAfterwards() {
        on.store.load(EventQuery.all()).as(flux -> StepVerifier.create(flux, 1))
                .expectNextCount(1)
                .then(() -> {
                    awaitNoAcquiredConnection(pool);
                    assertNoSessionInATransaction();
                })
                .thenRequest(1)
                .expectNextCount(1)
                .then(() -> awaitNoAcquiredConnection(pool))
                .thenCancel()
                .verify(TIMEOUT);

        awaitNoAcquiredConnection(pool);
    }

    @Test
    void aRequestLargerThanAPageKeepsOneConnectionUntilItIsMet() {
        long before = acquires.get();
        long queriesBefore = pageQueries();

        on.store.load(EventQuery.all()).as(flux -> StepVerifier.create(flux, 230))
                .expectNextCount(230) // pages 1 to 3, on one connection
                .then(() -> {
                    awaitNoAcquiredConnection(pool);
                    assertEquals(1, acquires.get() - before, "one acquire for the first 230 events");
                    assertEquals(3, pageQueries() - queriesBefore);
                })
                .thenRequest(230) // the rest of page 3, then pages 4 and 5 on one connection again
                .expectNextCount(230)
                .then(() -> {
                    awaitNoAcquiredConnection(pool);
                    assertEquals(2, acquires.get() - before, "one more acquire for the next 230");
                    assertEquals(5, pageQueries() - queriesBefore);
                })
                .thenRequest(Long.MAX_VALUE)
                .expectNextCount(EVENTS - 460)
                .expectComplete()
                .verify(TIMEOUT);

        awaitNoAcquiredConnection(pool);
    }

    @Test
    void cancellingAReadThatHoldsItsConnectionGivesItBack() {
        on.store.load(EventQuery.all()).as(StepVerifier::create)
                .expectNextCount(PAGE * 2 + 30) // unbounded demand: the connection is held
                .thenCancel()
                .verify(TIMEOUT);
        awaitNoAcquiredConnection(pool);

        for (int take : new int[] {1, PAGE, PAGE + 1, 2 * PAGE + 7}) {
            assertEquals(take, on.store.load(EventQuery.all()).take(take).count().block(TIMEOUT));
            assertEquals(take, on.store.readStream(stream(1), ReadOptions.forwards()).take(take).count().block(TIMEOUT));
        }
        for (int i = 0; i < 20; i++) {
            Disposable read = on.store.load(EventQuery.all()).subscribe();
            read.dispose(); // while acquiring, while a page is read, or between pages
        }
        awaitNoAcquiredConnection(pool);
        assertEquals(EVENTS, on.store.load(EventQuery.all()).count().block(TIMEOUT), "the pool still serves a full read");
        awaitNoAcquiredConnection(pool);
    }

    @Test
    void readersThatStopAskingLeaveThePoolToOthers() {
        // more paused readers than the pool has connections, each paused after more than a page
        List<Disposable> paused = IntStream.range(0, 6)
                .mapToObj(i -> i % 2 == 0
                        ? pausedAfter(on.store.load(EventQuery.all()), PAGE + 50)
                        : pausedAfter(on.store.readStream(stream(i), ReadOptions.forwards()), PAGE + 50))
                .collect(Collectors.toList());
        try {
            awaitNoAcquiredConnection(pool);
            assertEquals(EVENTS, on.store.load(EventQuery.all()).count().block(TIMEOUT));
        } finally {
            paused.forEach(Disposable::dispose);
        }
        awaitNoAcquiredConnection(pool);
    }

    /**
     * Between its pages, a held connection is idle in autocommit: no transaction is begun and no
     * session of the store sits in one, so a long read never holds back vacuum.
     */
    @Test
    void noTransactionSpansThePagesOfARead() {
        long begins = counting.calls("beginTransaction");
        Set<String> states = ConcurrentHashMap.newKeySet();
        Disposable sampler = Flux.interval(Duration.ZERO, Duration.ofMillis(2))
                .onBackpressureDrop()
                .concatMap(tick -> PgTestSupport.queryAsync(
                        "SELECT state, backend_xmin IS NOT NULL AND state = 'idle' AS idle_with_snapshot FROM pg_stat_activity"
                                + " WHERE application_name = $1", applicationName), 1)
                .subscribe(rows -> rows.forEach(row -> {
                    states.add(String.valueOf(row.get("state")));
                    if (Boolean.TRUE.equals(row.get("idle_with_snapshot"))) {
                        states.add("idle with a snapshot");
                    }
                }));
        try {
            for (int i = 0; i < 5; i++) {
                assertEquals(EVENTS, on.store.load(EventQuery.all()).count().block(TIMEOUT));
            }
            PgTestSupport.awaitTrue("the sampler saw the store's sessions", () -> !states.isEmpty());
        } finally {
            sampler.dispose();
        }

        assertEquals(begins, counting.calls("beginTransaction"), "a read begins no transaction");
        assertFalse(states.stream().anyMatch(state -> state.startsWith("idle in transaction")), "states seen: " + states);
        assertFalse(states.contains("idle with a snapshot"), "states seen: " + states);
        assertNoSessionInATransaction();
    }

    private void assertNoSessionInATransaction() {
        List<Map<String, Object>> rows = PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_stat_activity"
                + " WHERE application_name = $1 AND state LIKE 'idle in transaction%'", applicationName).block(TIMEOUT);
        assertEquals(0L, rows.get(0).get("n"), "no session of the store idles in a transaction");
        assertTrue(acquired(pool) <= 4);
    }

    /** Subscribes, asks for {@code n} events, then for nothing more. */
    private static Disposable pausedAfter(Flux<RecordedEvent> events, long n) {
        BaseSubscriber<RecordedEvent> reader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(n);
            }

            @Override
            protected void hookOnNext(RecordedEvent event) {
                // takes what it asked for and waits
            }
        };
        events.subscribe(reader);
        return reader;
    }
}
