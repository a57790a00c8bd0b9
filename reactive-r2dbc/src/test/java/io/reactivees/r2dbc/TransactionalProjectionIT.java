package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.Checkpoint;
import io.reactivees.core.projection.CheckpointMovedException;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import io.reactivees.r2dbc.Database.Sql;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;

/**
 * Transactional projections apply each event exactly once: under two runners that hold no lease (the
 * checkpoint row is the fence), under a rebuild racing a runner of the old epoch, and while the
 * projection's database sessions are terminated under load. Every check compares the read model
 * with what {@code load()} returns (an append whose answer was lost may have committed), counting
 * each event's applications.
 */
class TransactionalProjectionIT {

    private static final String PROJECTION = "applied";

    private final List<AutoCloseable> closing = new ArrayList<>();
    private final List<ProjectionRunner> runners = new CopyOnWriteArrayList<>();
    private StoreOnSchema on;

    @AfterEach
    void close() throws Exception {
        for (ProjectionRunner runner : runners) {
            runner.stop().block(TIMEOUT);
        }
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).close();
        }
        if (on != null) {
            on.close();
        }
    }

    private StoreOnSchema schemaWithReadModel() {
        on = PgTestSupport.newStore(options -> options.pollInterval(Duration.ofMillis(100)));
        PostgresTestDatabase.execute("CREATE TABLE " + on.table("applied") + " (event_id uuid NOT NULL, runner text NOT NULL)");
        return on;
    }

    /** A second store (a replica) on the same schema over {@code factory}; closed after the test. */
    private PostgresEventStore replica(ConnectionFactory factory) {
        PostgresEventStore store = PostgresEventStore.builder(factory)
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 6).pollInterval(Duration.ofMillis(100)).build())
                .build();
        closing.add(() -> store.close().block(TIMEOUT));
        return store;
    }

    private Mono<Void> record(RecordedEvent event, Connection connection, String runner) {
        return Database.run(connection, Sql.of("INSERT INTO " + on.table("applied") + " (event_id, runner) VALUES ($1, $2)",
                event.eventId(), runner));
    }

    private ProjectionRunner.Builder runner(PostgresEventStore store, String runnerName) {
        return PostgresTransactionalProjection.runner(store, PROJECTION, EventQuery.all(),
                        (event, connection) -> record(event, connection, runnerName),
                        connection -> Database.run(connection, Sql.of("DELETE FROM " + on.table("applied"))))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(300));
    }

    private ProjectionRunner started(ProjectionRunner.Builder builder) {
        ProjectionRunner runner = builder.build();
        runners.add(runner);
        runner.start();
        return runner;
    }

    private void append(PostgresEventStore store, int streams, int eventsPerStream) {
        Flux.range(0, streams)
                .flatMap(s -> store.append(StreamId.of("item", UUID.randomUUID().toString()), ExpectedVersion.any(),
                        IntStream.range(0, eventsPerStream).mapToObj(i -> EventData.of("item.touched", "{\"i\":" + i + "}")).toList()), 4)
                .then()
                .block(TIMEOUT);
    }

    /** How often each event id was applied. */
    private Map<UUID, Long> applications() {
        return PgTestSupport.queryAsync("SELECT event_id, count(*) AS n FROM " + on.table("applied") + " GROUP BY event_id")
                .map(rows -> {
                    Map<UUID, Long> counts = new java.util.HashMap<>();
                    rows.forEach(row -> counts.put((UUID) row.get("event_id"), (Long) row.get("n")));
                    return counts;
                })
                .block(TIMEOUT);
    }

    /** Waits until the read model holds as many applications as the log has events, then asserts each exactly once. */
    private void assertEachEventOfTheLogAppliedExactlyOnce() {
        List<RecordedEvent> log = on.loadAll();
        PgTestSupport.await("the read model caught up with the " + log.size() + " events of the log", () ->
                PgTestSupport.queryAsync("SELECT count(*) AS n FROM " + on.table("applied"))
                        .map(rows -> (Long) rows.get(0).get("n") >= log.size()));
        Map<UUID, Long> counts = applications();
        Set<UUID> expected = new HashSet<>(PgTestSupport.ids(log));
        assertEquals(expected, counts.keySet(), "the read model holds exactly the events of load()");
        counts.forEach((id, n) -> assertEquals(1L, n, "event " + id + " applied " + n + " times"));
        try (RawSession sql = new RawSession()) {
            assertEquals(log.get(log.size() - 1).position().toString(),
                    sql.value("SELECT position FROM " + on.table("checkpoints") + " WHERE name = $1", PROJECTION));
        }
    }

    @Test
    void twoRunnersWithoutALeaseApplyEachEventExactlyOnce() {
        schemaWithReadModel();
        append(on.store, 10, 5);
        ProjectionRunner first = started(runner(on.store, "first"));
        ProjectionRunner second = started(runner(replica(PostgresTestDatabase.connectionFactory()), "second"));
        append(on.store, 40, 5);

        assertEachEventOfTheLogAppliedExactlyOnce();
        assertTrue(first.isRunning() && second.isRunning(), "both runners run on: " + first.state() + ", " + second.state());
        assertEquals(Set.of(), Set.copyOf(List.of(first, second).stream().flatMap(r -> r.failure().stream()).toList()));
    }

    @Test
    void runnersStartingTogetherAllFindTheCheckpointRow() {
        schemaWithReadModel();
        append(on.store, 2, 2);
        PostgresEventStore replica = replica(PostgresTestDatabase.connectionFactory());
        List<ProjectionRunner> together = IntStream.range(0, 6)
                .mapToObj(i -> started(runner(i % 2 == 0 ? on.store : replica, "r" + i)))
                .toList();
        assertEachEventOfTheLogAppliedExactlyOnce();
        together.forEach(r -> assertInstanceOf(RunnerState.Running.class, r.state()));
    }

    @Test
    void aRebuildFencesOutARunnerOfTheOldEpoch() {
        schemaWithReadModel();
        append(on.store, 5, 4);
        // The stale runner's handler stops in the middle of its 8th event, inside its transaction.
        AtomicInteger calls = new AtomicInteger();
        Sinks.Empty<Void> go = Sinks.empty();
        AtomicBoolean paused = new AtomicBoolean();
        ProjectionRunner stale = started(PostgresTransactionalProjection.runner(replica(PostgresTestDatabase.connectionFactory()),
                        PROJECTION, EventQuery.all(),
                        (event, connection) -> record(event, connection, "stale").then(Mono.defer(() -> {
                            if (calls.incrementAndGet() == 8) {
                                paused.set(true);
                                return go.asMono();
                            }
                            return Mono.empty();
                        }))));
        PgTestSupport.awaitTrue("the stale runner paused in its 8th event", paused::get);

        // The rebuild waits for the row lock the stale runner's transaction holds, then resets.
        ProjectionRunner rebuilder = runner(on.store, "rebuilder").build();
        runners.add(rebuilder);
        Disposable rebuild = rebuilder.rebuild().subscribe();
        closing.add(rebuild::dispose);
        PgTestSupport.await("the rebuild waits for the checkpoint row", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%checkpoints%'")
                .map(rows -> (Long) rows.get(0).get("n") > 0));
        go.tryEmitEmpty();

        PgTestSupport.awaitTrue("the rebuild has started the runner again", rebuilder::isRunning);
        append(on.store, 5, 4);
        assertEachEventOfTheLogAppliedExactlyOnce();
        try (RawSession sql = new RawSession()) {
            assertEquals(1L, sql.value("SELECT epoch FROM " + on.table("checkpoints") + " WHERE name = $1", PROJECTION));
        }
        assertTrue(stale.isRunning(), "the stale runner reloaded and runs on: " + stale.state());
    }

    @Test
    void skipToMovesTheCheckpointUnderTheFenceAndAppliesNothing() {
        schemaWithReadModel();
        append(on.store, 1, 3);
        List<RecordedEvent> log = on.loadAll();
        CheckpointedHandler handler = PostgresTransactionalProjection.handler(on.store,
                (event, connection) -> record(event, connection, "skipper"), connection -> Mono.empty());
        Checkpoint start = handler.load(PROJECTION).block(TIMEOUT);

        Checkpoint moved = handler.skipTo(PROJECTION, log.get(2).position(), start).block(TIMEOUT);
        assertEquals(new Checkpoint(log.get(2).position(), start.epoch()), moved);
        assertEquals(moved, handler.load(PROJECTION).block(TIMEOUT));

        // a runner still holding the old checkpoint fails its fence, and nothing moves
        assertThrows(CheckpointMovedException.class, () -> handler.skipTo(PROJECTION, log.get(1).position(), start).block(TIMEOUT));
        assertEquals(moved, handler.load(PROJECTION).block(TIMEOUT));
        assertEquals(Map.of(), applications());
    }

    @Test
    void twoReplicasApplyEveryEventOnceWhileTheirSessionsAreTerminated() {
        schemaWithReadModel();
        String applicationName = PgTestSupport.applicationName("projection_outage");
        PostgresEventStore first = replica(PgTestSupport.namedFactory(applicationName));
        PostgresEventStore second = replica(PgTestSupport.namedFactory(applicationName));
        ProjectionRunner one = started(runner(first, "one").lease(lease(first)));
        ProjectionRunner two = started(runner(second, "two").lease(lease(second)));

        // Writers on sessions of their own keep appending while the replicas' sessions are killed.
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger attempted = new AtomicInteger();
        Disposable writers = Flux.range(0, 4)
                .flatMap(w -> Flux.defer(() -> on.store.append(StreamId.of("item", "w" + w + "-" + attempted.incrementAndGet()),
                                        ExpectedVersion.any(), List.of(EventData.of("item.touched", "{}"), EventData.of("item.touched", "{}")))
                                .onErrorResume(e -> Mono.empty())
                                .then(Mono.delay(Duration.ofMillis(10)))) // a steady load the projection keeps up with
                        .repeat(writing::get))
                .subscribeOn(Schedulers.parallel())
                .subscribe();
        closing.add(writers::dispose);
        try {
            for (int round = 0; round < 2; round++) {
                int before = applications().size();
                PgTestSupport.await("the projection applied more events", () -> Mono.fromCallable(() -> applications().size() > before + 20)
                        .subscribeOn(Schedulers.boundedElastic()));
                int killed = terminateAll(applicationName);
                assertTrue(killed > 0, "terminated the replicas' sessions");
            }
            int before = applications().size();
            PgTestSupport.await("the projection applies events again", () -> Mono.fromCallable(() -> applications().size() > before + 20)
                    .subscribeOn(Schedulers.boundedElastic()));
        } finally {
            writing.set(false);
        }
        PgTestSupport.awaitTrue("the writers stopped", writers::isDisposed);

        assertEachEventOfTheLogAppliedExactlyOnce();
        PgTestSupport.awaitTrue("one replica runs, the other waits for the lease", () ->
                new HashSet<>(List.of(one.state().getClass(), two.state().getClass())).equals(Set.of(RunnerState.Running.class, RunnerState.WaitingForLease.class)));
        assertTrue(one.failure().isEmpty() && two.failure().isEmpty());
    }

    @Test
    void aHolderWhoseLeaseSessionIsKilledMidHandlerAppliesNothingTwice() {
        schemaWithReadModel();
        append(on.store, 4, 5);
        String holderName = PgTestSupport.applicationName("projection_holder");
        PostgresEventStore holderReplica = replica(PgTestSupport.namedFactory(holderName));
        AtomicInteger calls = new AtomicInteger();
        Sinks.Empty<Void> go = Sinks.empty();
        AtomicBoolean paused = new AtomicBoolean();
        ProjectionRunner holder = started(PostgresTransactionalProjection.runner(holderReplica, PROJECTION, EventQuery.all(),
                        (event, connection) -> record(event, connection, "holder").then(Mono.defer(() -> {
                            if (calls.incrementAndGet() == 6) {
                                paused.set(true);
                                return go.asMono();
                            }
                            return Mono.empty();
                        })))
                .lease(lease(holderReplica)));
        PgTestSupport.awaitTrue("the holder paused in its 6th event", paused::get);
        PostgresEventStore takerReplica = replica(PostgresTestDatabase.connectionFactory());
        ProjectionRunner taker = started(runner(takerReplica, "taker").lease(lease(takerReplica)));

        // Kill the holder's lease session only: its event's transaction (a pool connection) stays open.
        int leasePid = (Integer) PgTestSupport.queryAsync("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)", on.schema + ":" + PROJECTION)
                .block(TIMEOUT).get(0).get("pid");
        PgTestSupport.terminate(leasePid);
        PgTestSupport.awaitTrue("the other replica took the lease", () -> taker.state() instanceof RunnerState.Running);
        // The new holder's first event waits for the row lock of the old holder's transaction; then the old one commits.
        go.tryEmitEmpty();
        append(on.store, 4, 5);
        assertEachEventOfTheLogAppliedExactlyOnce();
        PgTestSupport.awaitTrue("the old holder waits for the lease", () -> holder.state() instanceof RunnerState.WaitingForLease);
    }

    @Test
    void aHandlerThatAppendsInItsTransactionAppendsOncePerEventAcrossFailures() {
        schemaWithReadModel();
        append(on.store, 4, 5);
        AtomicInteger calls = new AtomicInteger();
        // Every third try fails after its append: the transaction rolls back, append and checkpoint alike.
        ProjectionRunner runner = started(PostgresTransactionalProjection.runner(on.store, PROJECTION,
                        EventQuery.of(io.reactivees.core.EventFilter.forCategory("item")),
                        (event, connection) -> on.store.appendInTransaction(connection, List.of(io.reactivees.core.StreamAppend.of(
                                        StreamId.of("derived", event.streamId().id()), ExpectedVersion.any(),
                                        List.of(new EventData(UUID.nameUUIDFromBytes(event.eventId().toString().getBytes()), "item.derived",
                                                "{}".getBytes(), "{}".getBytes())))))
                                .then(Mono.defer(() -> calls.incrementAndGet() % 3 == 0
                                        ? Mono.error(new io.reactivees.core.StoreUnavailableException("lost the connection", null))
                                        : Mono.empty())))
                .backoff(Duration.ofMillis(5), Duration.ofMillis(20)));
        PgTestSupport.await("every item event has its derived event", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) FILTER (WHERE category = 'derived') AS derived, count(*) FILTER (WHERE category = 'item') AS items FROM "
                                + on.table("events"))
                .map(rows -> rows.get(0).get("derived").equals(rows.get(0).get("items"))));
        List<RecordedEvent> log = on.loadAll();
        List<RecordedEvent> items = log.stream().filter(e -> e.streamId().category().equals("item")).toList();
        List<UUID> derived = log.stream().filter(e -> e.streamId().category().equals("derived")).map(RecordedEvent::eventId).toList();
        assertEquals(items.size(), derived.size());
        assertEquals(Set.copyOf(items.stream().map(e -> UUID.nameUUIDFromBytes(e.eventId().toString().getBytes())).toList()), Set.copyOf(derived),
                "one derived event per item event, each once");
        assertTrue(runner.isRunning());
    }

    private ProjectionLease lease(PostgresEventStore store) {
        return PostgresProjectionLease.of(store, Duration.ofMillis(100));
    }

    /** Terminates every backend of {@code applicationName} (one may end by itself meanwhile); returns how many it terminated. */
    private static int terminateAll(String applicationName) {
        try (RawSession admin = new RawSession()) {
            // The backends are chosen first (OFFSET 0 keeps the planner from running the terminate on other rows), then terminated.
            List<Integer> pids = admin.query("SELECT pid, pg_terminate_backend(pid) AS terminated"
                            + " FROM (SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid() OFFSET 0) mine",
                            applicationName).stream()
                    .filter(row -> Boolean.TRUE.equals(row.get("terminated")))
                    .map(row -> (Integer) row.get("pid"))
                    .toList();
            for (int pid : pids) {
                PgTestSupport.await("backend " + pid + " is gone", () -> PgTestSupport.queryAsync(
                                "SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", pid)
                        .map(rows -> (Long) rows.get(0).get("n") == 0));
            }
            return pids.size();
        }
    }

    @Test
    void aTerminatedBackendIsRetriedNotAFailure() {
        schemaWithReadModel();
        String applicationName = PgTestSupport.applicationName("projection_kill");
        append(on.store, 2, 5);
        AtomicInteger calls = new AtomicInteger();
        Sinks.Empty<Void> never = Sinks.empty();
        AtomicBoolean paused = new AtomicBoolean();
        Function<RecordedEvent, Mono<Void>> pauseOnFifth = event -> calls.incrementAndGet() == 5
                ? Mono.fromRunnable(() -> paused.set(true)).then(never.asMono())
                : Mono.empty();
        ProjectionRunner runner = started(PostgresTransactionalProjection.runner(replica(PgTestSupport.namedFactory(applicationName)),
                        PROJECTION, EventQuery.all(), (event, connection) -> record(event, connection, "r").then(pauseOnFifth.apply(event)))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(100)));
        PgTestSupport.awaitTrue("the handler paused in its 5th event", paused::get);
        List<RunnerState> seen = new CopyOnWriteArrayList<>();
        Disposable watching = runner.states().subscribe(seen::add);
        closing.add(watching::dispose);
        int pid = (Integer) PgTestSupport.queryAsync("SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                        + " AND query LIKE '%applied%'", applicationName).block(TIMEOUT).get(0).get("pid");
        PgTestSupport.terminate(pid);
        never.tryEmitEmpty(); // the handler's transaction is gone: its commit fails
        assertEachEventOfTheLogAppliedExactlyOnce();
        RunnerState.BackingOff backingOff = (RunnerState.BackingOff) seen.stream()
                .filter(RunnerState.BackingOff.class::isInstance).findFirst().orElseThrow(() -> new AssertionError("no backoff in " + seen));
        assertInstanceOf(io.reactivees.core.StoreUnavailableException.class, backingOff.lastError());
        assertInstanceOf(RunnerState.Running.class, runner.state());
    }
}
