package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.EventQuery;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Handovers from a stalled holder: every connection of the holding replica is frozen by a TCP proxy
 * (nothing passes either way, the server keeps the sessions, and new connections reach nothing, as in
 * a network partition or a frozen host), under load. The holder stops itself at its local deadline; the other replica takes
 * over once the database lets it: for the advisory lease, when the server ends the held session
 * (what its TCP keepalive does; here the test terminates it after the deadline), for the table lease
 * by itself when the lease expires by the database's clock. A transactional projection applies each
 * event exactly once; an at-least-once one applies again at most the events the stalled holder had
 * applied without its checkpoint landing, one here (it applies one event at a time).
 */
class StalledHolderIT {

    private final List<Runnable> closing = new ArrayList<>();
    private final String holderName = PgTestSupport.applicationName("stalled");
    private StoreOnSchema on;
    private AppliedReadModel readModel;
    private AnswerSwallowingProxy proxy;

    @BeforeEach
    void schema() throws Exception {
        on = PgTestSupport.newStore(options -> options.pollInterval(Duration.ofMillis(100)));
        readModel = new AppliedReadModel(on);
        proxy = AnswerSwallowingProxy.forTestDatabase();
    }

    @AfterEach
    void close() throws Exception {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).run();
        }
        proxy.close();
        on.close();
    }

    /**
     * The holder's connections, through the proxy; the server ends a transaction its client left idle
     * for a second ({@code idle_in_transaction_session_timeout}), as a deployment should set it.
     */
    private ConnectionFactory holderFactory() {
        return ConnectionFactories.get(ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1")
                .option(ConnectionFactoryOptions.PORT, proxy.port())
                .option(PostgresqlConnectionFactoryProvider.APPLICATION_NAME, holderName)
                .option(PostgresqlConnectionFactoryProvider.OPTIONS, Map.of("idle_in_transaction_session_timeout", "1000"))
                .build());
    }

    private PostgresEventStore replica(ConnectionFactory factory) {
        PostgresEventStore store = PostgresEventStore.builder(factory)
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(Duration.ofMillis(100)).build())
                .build();
        closing.add(() -> store.close().timeout(Duration.ofSeconds(5)).onErrorResume(e -> Mono.empty()).block(TIMEOUT));
        return store;
    }

    private ProjectionRunner started(ProjectionRunner.Builder builder) {
        ProjectionRunner runner = builder.backoff(Duration.ofMillis(20), Duration.ofMillis(200)).build();
        closing.add(() -> runner.stop().timeout(Duration.ofSeconds(5)).onErrorResume(e -> Mono.empty()).block(TIMEOUT));
        runner.start();
        return runner;
    }

    /**
     * Starts the holder (its replica's connections through the proxy) and, once it runs, the taker
     * (direct connections); each runner built by {@code runner} from its replica's store and name.
     */
    private ProjectionRunner[] holderAndTaker(java.util.function.BiFunction<PostgresEventStore, String, ProjectionRunner.Builder> runner) {
        ProjectionRunner holder = started(runner.apply(replica(holderFactory()), "holder"));
        PgTestSupport.awaitTrue("the holder runs", () -> holder.state() instanceof RunnerState.Running);
        ProjectionRunner taker = started(runner.apply(replica(PostgresTestDatabase.connectionFactory()), "taker"));
        return new ProjectionRunner[] {holder, taker};
    }

    /** Writers appending steadily on the test's own store until the returned switch is flipped. */
    private AtomicBoolean writing() {
        AtomicBoolean writing = new AtomicBoolean(true);
        Disposable writers = PgTestSupport.appendSteadily(on.store, 3, 1, Duration.ofMillis(15), writing::get);
        closing.add(writers::dispose);
        return writing;
    }

    private void awaitMoreApplied(int more) {
        long before = readModel.total();
        PgTestSupport.await("the projection applied " + more + " more events", () -> Mono.fromCallable(() -> readModel.total() >= before + more)
                .subscribeOn(Schedulers.boundedElastic()));
    }

    /**
     * Runs the stall: the holder runs under load, all its connections freeze, {@code afterFreeze}
     * runs, the taker takes over; then the holder applies nothing more.
     */
    private void stallAndHandOver(ProjectionRunner holder, ProjectionRunner taker, Runnable afterFreeze) {
        AtomicBoolean writing = writing();
        try {
            PgTestSupport.awaitTrue("the holder runs", () -> holder.state() instanceof RunnerState.Running);
            awaitMoreApplied(20);
            proxy.freeze();
            afterFreeze.run();
            PgTestSupport.awaitTrue("the other replica took over", () -> taker.state() instanceof RunnerState.Running);
            long appliedByHolder = appliedBy("holder");
            awaitMoreApplied(20);
            assertEquals(appliedByHolder, appliedBy("holder"), "the stalled holder applied nothing after the takeover");
        } finally {
            writing.set(false);
        }
    }

    private long appliedBy(String runner) {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM " + on.table("applied") + " WHERE runner = $1", runner)
                .block(TIMEOUT).get(0).get("n");
    }

    private ProjectionRunner.Builder transactional(PostgresEventStore store, String runner) {
        return PostgresTransactionalProjection.runner(store, "applied", EventQuery.all(),
                (event, connection) -> readModel.record(event, connection, runner), readModel::reset);
    }

    private ProjectionRunner.Builder atLeastOnce(PostgresEventStore store, String runner) {
        // The read model is reached on the test's own connections (another system the partition does not cut off);
        // the checkpoint lives in the replica's store.
        return ProjectionRunner.builder(store, PostgresCheckpointStore.of(store),
                Projection.of("applied", EventQuery.all(), event -> readModel.record(event, runner)));
    }

    private static ProjectionLease advisory(PostgresEventStore store) {
        return PostgresProjectionLease.builder(store).retryInterval(Duration.ofMillis(50)).probeInterval(Duration.ofMillis(200))
                .timeout(Duration.ofSeconds(2)).build();
    }

    private static PostgresTableLease table(PostgresEventStore store) {
        return PostgresTableLease.builder(store).ttl(Duration.ofSeconds(3)).renewInterval(Duration.ofMillis(500))
                .timeout(Duration.ofSeconds(1)).retryInterval(Duration.ofMillis(50)).build();
    }

    /**
     * The holder closes its lease session at its local deadline (the proxy sees its client side go);
     * then the server's TCP keepalive would end the sessions the server still holds for it, which the
     * test does here.
     */
    private void keepaliveEndsTheHoldersSessionsAfterItsDeadline() {
        PgTestSupport.awaitTrue("the stalled holder closed its lease session at its local deadline", () -> proxy.abandoned() >= 1);
        PgTestSupport.queryAsync("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1", holderName)
                .block(TIMEOUT);
    }

    @Test
    void advisoryLeaseTransactionalAppliesEachEventOnce() {
        ProjectionRunner[] pair = holderAndTaker((store, runner) -> transactional(store, runner).lease(advisory(store)));
        ProjectionRunner holder = pair[0];
        ProjectionRunner taker = pair[1];

        stallAndHandOver(holder, taker, this::keepaliveEndsTheHoldersSessionsAfterItsDeadline);
        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
    }

    @Test
    void tableLeaseTransactionalAppliesEachEventOnceWithoutTheServerEndingTheSessions() {
        ProjectionRunner[] pair = holderAndTaker((store, runner) -> PostgresTransactionalProjection.runner(store, "applied", EventQuery.all(),
                (event, connection) -> readModel.record(event, connection, runner), readModel::reset, table(store)));
        ProjectionRunner holder = pair[0];
        ProjectionRunner taker = pair[1];

        stallAndHandOver(holder, taker, () -> {}); // the lease expires by the database's clock
        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
    }

    @Test
    void tableLeaseAtLeastOnceAppliesAgainAtMostTheEventInFlight() {
        ProjectionRunner[] pair = holderAndTaker((store, runner) -> atLeastOnce(store, runner).lease(table(store)));
        ProjectionRunner holder = pair[0];
        ProjectionRunner taker = pair[1];

        stallAndHandOver(holder, taker, () -> {}); // the lease expires by the database's clock
        readModel.awaitAllApplied();
        Map<UUID, Long> counts = readModel.applications();
        long duplicated = counts.values().stream().filter(n -> n > 1).count();
        assertTrue(counts.values().stream().allMatch(n -> n <= 2) && duplicated <= 1,
                "at most the event in flight when the holder froze applied twice: " + duplicated + " duplicated");
        readModel.assertStreamOrderKept();
    }
}
