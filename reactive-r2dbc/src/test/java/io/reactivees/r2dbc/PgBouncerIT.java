package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The store behind a real PgBouncer in transaction pooling mode (Debian's {@code pgbouncer},
 * started here on a free local port): two replicas run a transactional projection under the table
 * lease while writers append through the pooler, and each event is applied exactly once across
 * handovers; the advisory lease is refused there, and works with direct session connections. Skipped,
 * with a message, where pgbouncer is not installed ({@code .ci/run} installs it).
 */
class PgBouncerIT {

    private static PgBouncer bouncer;

    private final List<Runnable> closing = new ArrayList<>();
    private final String applicationName = PgTestSupport.applicationName("bouncer");
    private StoreOnSchema on;
    private AppliedReadModel readModel;

    @BeforeAll
    static void startPgBouncer() {
        Path binary = PgBouncer.binary().orElse(null);
        Assumptions.assumeTrue(binary != null, "pgbouncer is not installed (apt-get install -y pgbouncer): PgBouncerIT skipped");
        bouncer = PgBouncer.start(binary);
    }

    @AfterAll
    static void stopPgBouncer() {
        if (bouncer != null) {
            bouncer.close();
        }
    }

    @BeforeEach
    void schema() {
        on = PgTestSupport.newStore(bouncer.connectionFactory(applicationName), options -> options.pollInterval(Duration.ofMillis(100)));
        readModel = new AppliedReadModel(on);
    }

    @AfterEach
    void close() {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).run();
        }
        on.close();
    }

    private PostgresEventStore replica(UnaryOperator<PostgresEventStore.Builder> builder) {
        PostgresEventStore store = builder.apply(PostgresEventStore.builder(bouncer.connectionFactory(applicationName))
                        .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(Duration.ofMillis(100)).build()))
                .build();
        closing.add(() -> store.close().block(TIMEOUT));
        return store;
    }

    private ProjectionRunner started(PostgresEventStore store, PostgresTableLease lease, String runnerName) {
        ProjectionRunner runner = PostgresTransactionalProjection.runner(store, "applied", EventQuery.all(),
                        (event, connection) -> readModel.record(event, connection, runnerName), readModel::reset, lease)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .build();
        closing.add(() -> runner.stop().block(TIMEOUT));
        runner.start();
        return runner;
    }

    private static PostgresTableLease tableLease(PostgresEventStore store) {
        return PostgresTableLease.builder(store).ttl(Duration.ofSeconds(2)).retryInterval(Duration.ofMillis(100)).build();
    }

    @Test
    void theStoreRunsThroughThePoolerWithoutItsSessions() {
        // Appends, loads and a live subscription (its LISTEN hears nothing here: the poll covers it).
        PgTestSupport.Collected live = on.follow(EventQuery.all());
        for (int i = 0; i < 20; i++) {
            on.store.append(StreamId.of("item", "s" + (i % 3)), ExpectedVersion.any(), List.of(EventData.of("item.touched", "{}"))).block(TIMEOUT);
        }
        List<io.reactivees.core.RecordedEvent> log = on.loadAll();
        assertEquals(20, log.size());
        PgTestSupport.awaitTrue("the live subscriber has every event", () -> live.events.size() == 20);
        assertEquals(PgTestSupport.ids(log), PgTestSupport.ids(live.events));
    }

    @Test
    void twoReplicasUnderTheTableLeaseApplyEachEventExactlyOnceThroughThePooler() {
        PostgresEventStore first = replica(builder -> builder);
        PostgresEventStore second = replica(builder -> builder);
        ProjectionRunner one = started(first, tableLease(first), "one");
        ProjectionRunner two = started(second, tableLease(second), "two");

        AtomicBoolean writing = new AtomicBoolean(true);
        Disposable writers = PgTestSupport.appendSteadily(on.store, 3, 2, Duration.ofMillis(10), writing::get);
        closing.add(writers::dispose);
        try {
            for (int round = 0; round < 3; round++) {
                long before = readModel.total();
                PgTestSupport.await("the projection applied more events", () -> Mono.fromCallable(() -> readModel.total() > before + 20)
                        .subscribeOn(Schedulers.boundedElastic()));
                // Hand over: the holder stops (round 0), or its lease is expired under it (the others):
                // its next event's fence fails and the other replica takes over.
                ProjectionRunner holder = one.state() instanceof RunnerState.Running ? one : two;
                if (round == 0) {
                    holder.stop().block(TIMEOUT);
                    holder.start();
                } else {
                    try (RawSession sql = new RawSession()) {
                        sql.update("UPDATE " + on.table("projection_leases") + " SET expires_at = now() WHERE name = 'applied'");
                    }
                }
            }
            long before = readModel.total();
            PgTestSupport.await("the projection applies events again", () -> Mono.fromCallable(() -> readModel.total() > before + 20)
                    .subscribeOn(Schedulers.boundedElastic()));
        } finally {
            writing.set(false);
        }
        PgTestSupport.awaitTrue("the writers stopped", writers::isDisposed);

        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
        try (RawSession sql = new RawSession()) {
            assertTrue((Long) sql.value("SELECT token FROM " + on.table("projection_leases") + " WHERE name = 'applied'") >= 3L,
                    "the lease changed hands at least three times");
        }
        assertTrue(one.failure().isEmpty() && two.failure().isEmpty(), one.state() + ", " + two.state());
    }

    @Test
    void theAdvisoryLeaseIsRefusedBehindATransactionPooler() {
        PostgresProjectionLease lease = PostgresProjectionLease.of(replica(builder -> builder), Duration.ofMillis(50));
        Throwable error = PgTestSupport.errorOf(lease.acquire("applied"));
        StoreConfigurationException refused = assertInstanceOf(StoreConfigurationException.class, error);
        assertTrue(refused.getMessage().contains("pool_mode = transaction") && refused.getMessage().contains("sessionConnections"),
                refused.getMessage());
        assertEquals(0L, advisoryLocksOfThisTest(), "no lock left behind");

        // A runner under it fails with that error instead of waiting for ever.
        ProjectionRunner runner = PostgresTransactionalProjection.runner(replica(builder -> builder), "applied", EventQuery.all(),
                        (event, connection) -> readModel.record(event, connection, "r"))
                .lease(lease)
                .build();
        closing.add(() -> runner.stop().block(TIMEOUT));
        runner.start();
        PgTestSupport.awaitTrue("the runner failed", () -> runner.state() instanceof RunnerState.Failed);
        assertInstanceOf(StoreConfigurationException.class, runner.failure().orElseThrow());
    }

    @Test
    void theAdvisoryLeaseWorksWithDirectSessionConnections() {
        ConnectionFactory direct = PgTestSupport.namedFactory(applicationName);
        PostgresEventStore store = replica(builder -> builder.sessionConnections(direct));
        ProjectionLease.Held held = PostgresProjectionLease.of(store, Duration.ofMillis(50)).acquire("applied").block(TIMEOUT);
        closing.add(() -> held.release().block(TIMEOUT));
        assertEquals(1L, advisoryLocksOfThisTest());
        held.release().block(TIMEOUT);
        assertEquals(0L, advisoryLocksOfThisTest());
    }

    @Test
    void theLiveTailListensOnDirectSessionConnectionsBehindThePooler() {
        // Through the pooler alone LISTEN hears nothing; with direct session connections it does: the
        // poll is an hour, so only a notification can deliver the other store's commit.
        ConnectionFactory direct = PgTestSupport.namedFactory(applicationName);
        PostgresEventStore store = PostgresEventStore.builder(bouncer.connectionFactory(applicationName))
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(Duration.ofHours(1)).build())
                .sessionConnections(direct)
                .build();
        closing.add(() -> store.close().block(TIMEOUT));
        List<io.reactivees.core.RecordedEvent> live = new java.util.concurrent.CopyOnWriteArrayList<>();
        reactor.core.Disposable subscription = store.subscribe(EventQuery.all()).subscribe(live::add);
        closing.add(subscription::dispose);
        PgTestSupport.await("a LISTEN session of the direct factory", () -> PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_stat_activity"
                + " WHERE application_name = $1 AND query LIKE 'LISTEN%'", applicationName).map(rows -> (Long) rows.get(0).get("n") == 1L));
        on.store.append(StreamId.of("item", "heard"), ExpectedVersion.noStream(), List.of(EventData.of("item.touched", "{}"))).block(TIMEOUT);
        PgTestSupport.awaitTrue("the notification delivered the event", () -> live.size() == 1);
        assertEquals(PgTestSupport.ids(on.loadAll()), PgTestSupport.ids(live));
    }

    private long advisoryLocksOfThisTest() {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)", on.schema + ":applied").block(TIMEOUT).get(0).get("n");
    }
}
