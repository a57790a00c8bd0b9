package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.acquired;
import static io.reactivees.r2dbc.PgTestSupport.awaitNoAcquiredConnection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.StepVerifier;

/**
 * Cancelling a read, a subscription or an append gives its connection back to the pool, clean: no
 * connection stays acquired, none goes back with a transaction open, and a cancelled subscription's
 * own queries stop. The store runs on a pool the test owns, so its metrics can be watched.
 */
class CancellationIT {

    private static final int EVENTS = 1000;
    private static final int PAGE = 50;

    private final String applicationName = PgTestSupport.applicationName("cancel");
    private CountingConnectionFactory counting;
    private ConnectionPool pool;
    private StoreOnSchema on;

    @BeforeEach
    void storeOnOwnPool() {
        counting = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        pool = PgTestSupport.pool(counting, 4);
        on = PgTestSupport.newStore(pool, options -> options.pageSize(PAGE).pollInterval(Duration.ofMillis(100))).owning(pool);
    }

    @AfterEach
    void close() {
        on.close();
    }

    private void appendHistory() {
        for (int s = 0; s < 10; s++) {
            List<EventData> events = IntStream.range(0, EVENTS / 10)
                    .mapToObj(i -> EventData.of(i % 2 == 0 ? "even" : "odd", "{\"i\":" + i + "}"))
                    .collect(Collectors.toList());
            on.store.append(StreamId.of("bulk", Integer.toString(s)), ExpectedVersion.noStream(), events).block(TIMEOUT);
        }
        on.awaitSettled();
    }

    @Test
    void cancellingLoadsAtEveryStageReturnsTheirConnections() {
        appendHistory();

        for (int take : new int[] {1, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE, EVENTS / 2}) {
            assertEquals(take, on.store.load(EventQuery.all()).take(take).count().block(TIMEOUT));
        }
        for (int i = 0; i < 20; i++) {
            Disposable load = on.store.load(EventQuery.all()).subscribe();
            load.dispose(); // while acquiring or while the first page is read
        }
        on.store.load(EventQuery.all()).as(StepVerifier::create)
                .expectNextCount(PAGE + 7)
                .thenCancel()
                .verify(TIMEOUT);

        awaitNoAcquiredConnection(pool);
        assertEquals(EVENTS, on.store.load(EventQuery.all()).count().block(TIMEOUT), "the pool still serves a full read");
        awaitNoAcquiredConnection(pool);
    }

    @Test
    void cancellingStreamReadsReturnsTheirConnections() {
        appendHistory();
        StreamId stream = StreamId.of("bulk", "3");

        for (int i = 0; i < 20; i++) {
            on.store.readStream(stream, ReadOptions.forwards()).subscribe().dispose();
        }
        assertEquals(PAGE + 1, on.store.readStream(stream, ReadOptions.backwards()).take(PAGE + 1).count().block(TIMEOUT));

        awaitNoAcquiredConnection(pool);
    }

    @Test
    void cancellingSubscriptionsWhileCatchingUpOrLiveReturnsTheirConnectionsAndStopsTheirQueries() {
        appendHistory();

        // catching up: the history is many pages long
        assertEquals(PAGE + 3, on.store.subscribe(EventQuery.all()).take(PAGE + 3).count().block(TIMEOUT));
        for (int i = 0; i < 20; i++) {
            on.store.subscribe(EventQuery.of(EventFilter.forType("odd"))).subscribe().dispose();
        }
        // live: past the history, waiting on the shared feed
        PgTestSupport.Collected live = new PgTestSupport.Collected();
        Disposable liveSubscription = on.store.subscribe(EventQuery.of(EventFilter.forType("odd"))).subscribe(live.events::add);
        live.awaitAtLeast(EVENTS / 2);
        liveSubscription.dispose();

        awaitNoAcquiredConnection(pool);
        assertEquals(EVENTS / 2, live.size());
    }

    @Test
    void aCancelledSubscriptionSendsNoMoreQueriesOfItsOwn() {
        appendHistory();
        on.follow(EventQuery.all()).awaitAtLeast(EVENTS); // the shared feed runs
        // a filter only this subscription's own catch-up queries carry; the shared feed reads everything
        String ownQuery = "event_type = $";
        Disposable subscription = on.store.subscribe(EventQuery.of(EventFilter.forType("odd")))
                .limitRate(1)
                .subscribe(event -> { });
        PgTestSupport.awaitTrue("the subscription reads pages of its own", () -> counting.count(sql -> sql.contains(ownQuery)) >= 2);

        subscription.dispose();
        awaitNoAcquiredConnection(pool);
        long afterCancel = counting.count(sql -> sql.contains(ownQuery));
        long feedPolls = counting.count(sql -> sql.contains("pg_snapshot_xmin"));
        PgTestSupport.awaitTrue("the shared feed polled a few more times", () -> counting.count(sql -> sql.contains("pg_snapshot_xmin")) >= feedPolls + 5);

        assertEquals(afterCancel, counting.count(sql -> sql.contains(ownQuery)), "no query of the cancelled subscription after it ended");
    }

    /**
     * The module's transactions (projections, the migrator) start with {@code BEGIN}. When a cancel
     * arrives while that {@code BEGIN} is still queued on the connection (here behind a statement of
     * an earlier, cancelled checkpoint save that waits for a row lock), the transaction opens after
     * the cancel. The connection must not go back to the pool with it open: the next write on it
     * would be acknowledged and never committed.
     */
    @Test
    void aTransactionCancelledWhileItsBeginIsQueuedLeavesNoTransactionOpen() {
        ConnectionPool single = PgTestSupport.pool(counting, 1);
        StoreOnSchema one = PgTestSupport.newStore(single, options -> options).owning(single);
        PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(one.store);
        Position somewhere = new Position(1, 1);
        try (RawSession lock = new RawSession()) {
            checkpoints.save("locked", somewhere).block(TIMEOUT);

            lock.begin();
            lock.query("SELECT position FROM " + one.table("checkpoints") + " WHERE name = 'locked' FOR UPDATE");
            Disposable blocked = checkpoints.save("locked", new Position(2, 2)).subscribe();
            awaitBackendWaitingForALock(one.schema);
            blocked.dispose(); // the connection goes back to the pool while its statement still waits
            awaitNoAcquiredConnection(single);

            long begins = counting.calls("beginTransaction");
            Disposable transaction = one.store.database()
                    .inTransaction(c -> Database.run(c, Database.Sql.of("SELECT 1")))
                    .subscribe();
            PgTestSupport.awaitTrue("the transaction has sent BEGIN", () -> counting.calls("beginTransaction") > begins);
            transaction.dispose(); // BEGIN is queued behind the waiting statement

            lock.rollback(); // the waiting statement finishes, then BEGIN runs
        }
        awaitNoAcquiredConnection(single);

        checkpoints.save("after", somewhere).block(TIMEOUT);

        try (RawSession other = new RawSession()) {
            assertEquals(1L, other.value("SELECT count(*) FROM " + one.table("checkpoints") + " WHERE name = 'after'"),
                    "an acknowledged write is committed");
            assertEquals(0L, other.value("SELECT count(*) FROM pg_stat_activity WHERE application_name = $1"
                    + " AND state LIKE 'idle in transaction%'", applicationName), "no pooled connection idles in a transaction");
        } finally {
            one.close();
        }
        assertTrue(acquired(single) == 0);
    }

    private static void awaitBackendWaitingForALock(String schema) {
        PgTestSupport.await("a statement of schema " + schema + " waits for a lock", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%' || $1 || '%'", schema)
                .map(rows -> (Long) rows.get(0).get("n") > 0));
    }
}
