package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.reactivees.core.EventQuery;
import io.reactivees.core.projection.PartitionedProjection;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.Segment;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;

/**
 * A projection split into 6 segments, run by replicas that join and leave while writers append: at
 * every settled moment the segments are all held, each by one replica, and no replica holds more
 * than {@code ceil(6 / live replicas)} (a replica that kept everything would fail it); each event is
 * applied exactly once (transactional, with the segments leased from the lease table or by advisory
 * locks) or at least once with duplicates bounded by the handovers (at-least-once), and each stream's
 * events in order. A replica cut off from the database (killed sessions, no reconnect, nothing
 * released) loses its segments to the others on the lease's ttl, and each event is still applied
 * once. Changing the number of segments by the documented procedure starts over exactly.
 */
class PartitionedProjectionIT {

    private static final int SEGMENTS = 6;
    /** Checkpoints also move past other segments' events, every few of them, so those moves interleave with the handovers. */
    private static final int SKIPPED_PER_MOVE = 7;

    private final List<Runnable> closing = new ArrayList<>();
    private StoreOnSchema on;
    private AppliedReadModel readModel;

    @BeforeEach
    void schema() {
        on = PgTestSupport.newStore(options -> options.pollInterval(Duration.ofMillis(100)));
        readModel = new AppliedReadModel(on);
    }

    @AfterEach
    void close() {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).run();
        }
        on.close();
    }

    /** A replica: a store of its own on the schema, its table lease (also its membership), its partitioned projection. */
    private PartitionedProjection replica(String replicaName, BiFunction<PostgresEventStore, PostgresTableLease, java.util.function.Function<String,
            ProjectionRunner.Builder>> runners) {
        return replica(SEGMENTS, false, runners);
    }

    /**
     * A replica with {@code segments} segments. Its table lease is its membership; with
     * {@code advisory} its segments are leased by advisory locks ({@link PostgresProjectionLease}, one
     * session per replica) instead of the lease table.
     */
    private PartitionedProjection replica(int segments, boolean advisory, BiFunction<PostgresEventStore, PostgresTableLease,
            java.util.function.Function<String, ProjectionRunner.Builder>> runners) {
        return replica(PostgresTestDatabase.connectionFactory(), segments, advisory, runners);
    }

    /** The same, its store on {@code factory}. */
    private PartitionedProjection replica(ConnectionFactory factory, int segments, boolean advisory, BiFunction<PostgresEventStore,
            PostgresTableLease, java.util.function.Function<String, ProjectionRunner.Builder>> runners) {
        PostgresEventStore store = PostgresEventStore.builder(factory)
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(Duration.ofMillis(100)).build())
                .build();
        closing.add(() -> store.close().block(TIMEOUT));
        PostgresTableLease lease = PostgresTableLease.builder(store).ttl(Duration.ofSeconds(3)).renewInterval(Duration.ofMillis(500))
                .timeout(Duration.ofSeconds(1)).retryInterval(Duration.ofMillis(50)).build();
        io.reactivees.core.projection.ProjectionLease segmentLease = advisory ? PostgresProjectionLease.of(store, Duration.ofMillis(50)) : lease;
        PartitionedProjection projection = PartitionedProjection.builder("applied", segments, runners.apply(store, lease), segmentLease, lease)
                .rebalanceInterval(Duration.ofMillis(200))
                .attemptWindow(Duration.ofMillis(300))
                .build();
        closing.add(() -> projection.stop().block(TIMEOUT));
        return projection;
    }

    private PartitionedProjection transactional(String replicaName) {
        return transactional(replicaName, SEGMENTS);
    }

    private PartitionedProjection transactionalUnderAdvisoryLocks(String replicaName) {
        return replica(SEGMENTS, true, (store, lease) -> name -> PostgresTransactionalProjection.runner(store, name, EventQuery.all(),
                        (event, connection) -> readModel.record(event, connection, replicaName), readModel::reset)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .checkpointAfterSkipping(SKIPPED_PER_MOVE));
    }

    private PartitionedProjection transactional(String replicaName, int segments) {
        return transactional(PostgresTestDatabase.connectionFactory(), replicaName, segments);
    }

    private PartitionedProjection transactional(ConnectionFactory factory, String replicaName, int segments) {
        return replica(factory, segments, false, (store, lease) -> name -> PostgresTransactionalProjection.runner(store, name, EventQuery.all(),
                        (event, connection) -> readModel.record(event, connection, replicaName), readModel::reset, lease)
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .checkpointAfterSkipping(SKIPPED_PER_MOVE));
    }

    private PartitionedProjection atLeastOnce(String replicaName) {
        return replica(replicaName, (store, lease) -> name -> ProjectionRunner.builder(store, PostgresCheckpointStore.of(store),
                        Projection.of(name, EventQuery.all(), event -> readModel.record(event, replicaName)))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .checkpointAfterSkipping(SKIPPED_PER_MOVE));
    }

    /**
     * Waits until the live replicas know each other, hold every segment between them, each segment
     * once, and each no more than its share.
     */
    private void awaitBalanced(List<PartitionedProjection> live) {
        int share = (SEGMENTS + live.size() - 1) / live.size();
        PgTestSupport.awaitTrue(live.size() + " replicas hold the " + SEGMENTS + " segments, at most " + share + " each", () -> {
            Set<Integer> all = new HashSet<>();
            int total = 0;
            for (PartitionedProjection replica : live) {
                Set<Integer> held = replica.held();
                if (replica.members() != live.size() || held.size() > share) {
                    return false;
                }
                all.addAll(held);
                total += held.size();
            }
            return all.size() == SEGMENTS && total == SEGMENTS;
        });
        for (PartitionedProjection replica : live) {
            assertTrue(replica.held().size() <= share, "a replica holds " + replica.held() + ", more than its share " + share);
        }
    }

    private void awaitMoreApplied(int more) {
        long before = readModel.total();
        PgTestSupport.await("the projection applied " + more + " more events", () -> Mono.fromCallable(() -> readModel.total() >= before + more)
                .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()));
    }

    /** Replicas join one by one and one leaves, under load; the segments are rebalanced at each step. */
    private void joinAndLeaveUnderLoad(java.util.function.Function<String, PartitionedProjection> replicas) {
        AtomicBoolean writing = new AtomicBoolean(true);
        Disposable writers = PgTestSupport.appendSteadily(on.store, 4, 1, Duration.ofMillis(10), writing::get);
        closing.add(writers::dispose);
        try {
            PartitionedProjection a = replicas.apply("a");
            a.start();
            awaitBalanced(List.of(a));
            awaitMoreApplied(20);
            PartitionedProjection b = replicas.apply("b");
            b.start();
            awaitBalanced(List.of(a, b));
            awaitMoreApplied(20);
            PartitionedProjection c = replicas.apply("c");
            c.start();
            awaitBalanced(List.of(a, b, c));
            awaitMoreApplied(20);
            b.stop().block(TIMEOUT); // b leaves
            awaitBalanced(List.of(a, c));
            awaitMoreApplied(20);
        } finally {
            writing.set(false);
        }
        PgTestSupport.awaitTrue("the writers stopped", writers::isDisposed);
    }

    @Test
    void transactionalSegmentsApplyEachEventOnceWhileReplicasJoinAndLeave() {
        joinAndLeaveUnderLoad(this::transactional);
        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
    }

    @Test
    void theSegmentsOfAReplicaCutOffFromTheDatabaseAreTakenOverAndEachEventIsAppliedOnce() {
        AtomicBoolean writing = new AtomicBoolean(true);
        Disposable writers = PgTestSupport.appendSteadily(on.store, 4, 1, Duration.ofMillis(10), writing::get);
        closing.add(writers::dispose);
        String deadName = PgTestSupport.applicationName("pp_dead");
        AtomicBoolean cutOff = new AtomicBoolean();
        try {
            PartitionedProjection a = transactional("a");
            PartitionedProjection b = transactional("b");
            PartitionedProjection c = transactional(new CutOffFactory(PgTestSupport.namedFactory(deadName), cutOff), "c", SEGMENTS);
            a.start();
            b.start();
            c.start();
            awaitBalanced(List.of(a, b, c));
            awaitMoreApplied(20);

            // c dies as a killed process does: its sessions end mid-work and it never connects again;
            // it releases nothing, so its leases and its membership run out on their ttl
            cutOff.set(true);
            PgTestSupport.queryAsync("SELECT pid FROM pg_stat_activity WHERE application_name = $1", deadName).block(TIMEOUT)
                    .forEach(row -> PgTestSupport.terminate((Integer) row.get("pid")));
            awaitBalanced(List.of(a, b));
            awaitMoreApplied(20);
        } finally {
            writing.set(false);
        }
        PgTestSupport.awaitTrue("the writers stopped", writers::isDisposed);
        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
    }

    /** Hands out connections of {@code delegate} until {@code cutOff} is set, then refuses as an unreachable server does. */
    private record CutOffFactory(ConnectionFactory delegate, AtomicBoolean cutOff) implements ConnectionFactory {
        @Override
        public Publisher<? extends Connection> create() {
            return Mono.defer(() -> cutOff.get()
                    ? Mono.error(new R2dbcNonTransientResourceException("cut off", new ConnectException("Connection refused")))
                    : Mono.from(delegate.create()));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return delegate.getMetadata();
        }
    }

    @Test
    void segmentsLeasedByAdvisoryLocksApplyEachEventOnceWhileReplicasJoinAndLeave() {
        joinAndLeaveUnderLoad(this::transactionalUnderAdvisoryLocks);
        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
    }

    @Test
    void atLeastOnceSegmentsKeepTheirBoundWhileReplicasJoinAndLeave() {
        joinAndLeaveUnderLoad(this::atLeastOnce);
        readModel.awaitAllApplied();
        Map<UUID, Long> counts = readModel.applications();
        long again = counts.values().stream().mapToLong(n -> n - 1).sum();
        // The documented bound: each handover of a segment applies again at most the event it was on.
        // Every acquisition of a segment's lease after its first one is a handover (the token counts them).
        long handovers = ((Number) PgTestSupport.queryAsync("SELECT coalesce(sum(token - 1), 0) AS n FROM " + on.table("projection_leases")
                + " WHERE name LIKE 'applied#%'").block(TIMEOUT).get(0).get("n")).longValue();
        assertTrue(handovers >= 1, "the segments were handed over as replicas joined and left: " + handovers);
        assertTrue(again <= handovers, again + " applications again, for " + handovers + " handovers");
        readModel.assertStreamOrderKept();
    }

    @Test
    void changingTheCountByTheDocumentedProcedureAppliesEveryEventOnceUnderTheNewCount() {
        Disposable writers = PgTestSupport.appendSteadily(on.store, 4, 1, Duration.ofMillis(10), () -> true);
        closing.add(writers::dispose);
        PartitionedProjection three = transactional("a", 3);
        three.start();
        awaitMoreApplied(40);
        // the procedure of PartitionedProjection's Javadoc: stop it everywhere, empty the read model,
        // start it with the new count, delete the old segments' checkpoints
        three.stop().block(TIMEOUT);
        PostgresTestDatabase.execute("DELETE FROM " + on.table("applied"));
        PartitionedProjection five = transactional("a", 5);
        five.start();
        awaitMoreApplied(40);
        writers.dispose();
        PostgresTestDatabase.execute("DELETE FROM " + on.table("checkpoints") + " WHERE name LIKE 'applied#%/3'");

        readModel.assertEachEventAppliedExactlyOnce();
        readModel.assertStreamOrderKept();
        List<Map<String, Object>> checkpoints = PgTestSupport.queryAsync("SELECT name FROM " + on.table("checkpoints")
                + " ORDER BY name").block(TIMEOUT);
        assertEquals(List.of("applied#0/5", "applied#1/5", "applied#2/5", "applied#3/5", "applied#4/5"),
                checkpoints.stream().map(row -> row.get("name")).toList());
    }

    @Test
    void theWritersStreamsSpreadOverTheSegments() {
        // The streams the writers use, by the documented function: the test's load reaches several segments.
        Set<Integer> segments = java.util.stream.IntStream.range(0, 4).boxed()
                .flatMap(w -> java.util.stream.IntStream.range(0, 5).mapToObj(k -> io.reactivees.core.StreamId.of("item", "w" + w + "-" + k)))
                .map(stream -> Segment.of(stream, SEGMENTS))
                .collect(Collectors.toSet());
        assertTrue(segments.size() == SEGMENTS, "the writers' 20 streams fall in every segment: " + segments);
    }
}
