package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import io.reactivees.r2dbc.Database.Sql;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * PostgreSQL restarts under load, after every session of the application (writers, live feed,
 * replicas) was terminated twice: every acknowledged append is stored, a live
 * subscriber that resubscribes after its last event holds exactly what {@code load()} returns, and a
 * transactional projection run by two replicas under each lease kind (the advisory lock, the lease
 * table) applied each event of {@code load()} once and runs again. It restarts the server, so it runs only where nobody else uses it at that moment: set
 * {@value #ENABLE} to {@code true} (and {@value #COMMAND} to the restart command when it is not
 * {@code pg_ctlcluster 15 main restart}); it is skipped, saying so, otherwise.
 */
class PostgresRestartIT {

    static final String ENABLE = "REACTIVEES_RESTART_TESTS";
    static final String COMMAND = "REACTIVEES_RESTART_COMMAND";

    private final List<Runnable> closing = new ArrayList<>();
    private StoreOnSchema on;

    @AfterEach
    void close() {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).run();
        }
        if (on != null) {
            on.close();
        }
    }

    @Test
    void aLiveSubscriberAndATransactionalProjectionComeThroughTerminationsAndARestartExactly() throws Exception {
        Assumptions.assumeTrue("true".equals(System.getenv(ENABLE)),
                "restarts PostgreSQL: skipped unless " + ENABLE + "=true (run it where no other test uses the server)");
        // every session of the application (the writers' lanes, the live feed, the replicas' pools,
        // lanes and leases) carries this name, and each termination round ends them all
        String applicationName = PgTestSupport.applicationName("restart");
        on = PgTestSupport.newStore(PgTestSupport.namedFactory(applicationName), options -> options.pollInterval(Duration.ofMillis(100)));
        for (String table : APPLIED) {
            PostgresTestDatabase.execute("CREATE TABLE " + on.table(table) + " (event_id uuid NOT NULL)");
        }
        Map<String, List<ProjectionRunner>> runners = new HashMap<>();
        for (int i = 0; i < 2; i++) {
            PostgresEventStore replica = PostgresEventStore.builder(PgTestSupport.namedFactory(applicationName))
                    .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(Duration.ofMillis(100)).build())
                    .build();
            closing.add(() -> replica.close().block(TIMEOUT));
            started(runners, ADVISORY, PostgresTransactionalProjection.runner(replica, ADVISORY, EventQuery.all(), recordingInto(ADVISORY))
                    .lease(PostgresProjectionLease.of(replica, Duration.ofMillis(100))));
            started(runners, TABLE, PostgresTransactionalProjection.runner(replica, TABLE, EventQuery.all(), recordingInto(TABLE),
                    connection -> Database.run(connection, Sql.of("DELETE FROM " + on.table(TABLE))),
                    PostgresTableLease.builder(replica).ttl(Duration.ofSeconds(2)).retryInterval(Duration.ofMillis(100)).build()));
        }
        // A live subscriber that resumes after its last event whenever its subscription fails.
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Position> last = new AtomicReference<>(Position.START);
        Disposable subscriber = Flux.defer(() -> on.store.subscribe(EventQuery.all().after(last.get())))
                .doOnNext(event -> {
                    seen.add(event);
                    last.set(event.position());
                })
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(1)))
                .subscribe();
        closing.add(subscriber::dispose);
        AtomicBoolean writing = new AtomicBoolean(true);
        AtomicInteger n = new AtomicInteger();
        Set<UUID> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
        Disposable writers = Flux.range(0, 4)
                .flatMap(w -> Flux.defer(() -> {
                            EventData event = EventData.of("item.touched", "{}");
                            // an append that fails (its session terminated, the server away) may or may
                            // not be stored; one that is acknowledged must be
                            return on.store.append(StreamId.of("item", "w" + w + "-" + n.incrementAndGet()), ExpectedVersion.any(), List.of(event))
                                    .doOnNext(result -> acknowledged.add(event.eventId()))
                                    .onErrorResume(e -> Mono.empty())
                                    .then(Mono.delay(Duration.ofMillis(10)));
                        })
                        .repeat(writing::get))
                .subscribeOn(Schedulers.parallel())
                .subscribe();
        closing.add(writers::dispose);
        try {
            for (int round = 0; round < 2; round++) {
                awaitProgress();
                PostgresTestDatabase.execute("SELECT pg_terminate_backend(pid) FROM (SELECT pid FROM pg_stat_activity"
                        + " WHERE application_name = '" + applicationName + "' OFFSET 0) mine");
            }
            awaitProgress();
            String[] command = System.getenv().getOrDefault(COMMAND, "pg_ctlcluster 15 main restart").split(" ");
            Process restart = new ProcessBuilder(command).inheritIO().start();
            assertTrue(restart.waitFor(120, TimeUnit.SECONDS) && restart.exitValue() == 0, "restarted PostgreSQL");
            PgTestSupport.await("PostgreSQL answers again", () -> PgTestSupport.queryAsync("SELECT 1 AS one")
                    .map(rows -> true).onErrorResume(e -> Mono.just(false)));
            awaitProgress();
        } finally {
            writing.set(false);
        }
        PgTestSupport.awaitTrue("the writers stopped", writers::isDisposed);

        List<RecordedEvent> log = on.loadAll();
        assertTrue(Set.copyOf(PgTestSupport.ids(log)).containsAll(acknowledged), "every acknowledged append is stored");
        assertTrue(acknowledged.size() > 60, "the writers made progress across the outages: " + acknowledged.size());
        PgTestSupport.awaitTrue("the subscriber caught up", () -> seen.size() >= log.size());
        assertEquals(PgTestSupport.ids(log), PgTestSupport.ids(seen), "the subscriber holds exactly load()");
        for (String table : APPLIED) {
            PgTestSupport.await(table + " caught up", () -> Mono.fromCallable(() -> applied(table) >= log.size())
                    .subscribeOn(Schedulers.boundedElastic()));
            Map<UUID, Long> counts = new HashMap<>();
            PgTestSupport.queryAsync("SELECT event_id, count(*) AS n FROM " + on.table(table) + " GROUP BY event_id").block(TIMEOUT)
                    .forEach(row -> counts.put((UUID) row.get("event_id"), (Long) row.get("n")));
            assertEquals(Set.copyOf(PgTestSupport.ids(log)), counts.keySet(), table + " applied every event of load()");
            counts.forEach((id, times) -> assertEquals(1L, times, table + ": event " + id));
            List<ProjectionRunner> pair = runners.get(table);
            PgTestSupport.awaitTrue(table + ": one replica runs the projection, the other waits", () -> new java.util.HashSet<>(List.of(
                    pair.get(0).state().getClass(), pair.get(1).state().getClass()))
                    .equals(Set.of(RunnerState.Running.class, RunnerState.WaitingForLease.class)));
        }
    }

    private static final String ADVISORY = "applied_advisory";
    private static final String TABLE = "applied_table";
    private static final List<String> APPLIED = List.of(ADVISORY, TABLE);

    private java.util.function.BiFunction<RecordedEvent, io.r2dbc.spi.Connection, Mono<Void>> recordingInto(String table) {
        return (event, connection) -> Database.run(connection, Sql.of("INSERT INTO " + on.table(table) + " (event_id) VALUES ($1)", event.eventId()));
    }

    private void started(Map<String, List<ProjectionRunner>> runners, String name, ProjectionRunner.Builder builder) {
        ProjectionRunner runner = builder.backoff(Duration.ofMillis(50), Duration.ofSeconds(1)).build();
        runners.computeIfAbsent(name, any -> new ArrayList<>()).add(runner);
        runner.start();
        closing.add(() -> runner.stop().block(TIMEOUT));
    }

    /** Waits until both projections have applied some more events. */
    private void awaitProgress() {
        for (String table : APPLIED) {
            long before = applied(table);
            PgTestSupport.await(table + " applies events", () -> Mono.fromCallable(() -> applied(table) > before + 20)
                    .subscribeOn(Schedulers.boundedElastic()).onErrorResume(e -> Mono.just(false)));
        }
    }

    private long applied(String table) {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM " + on.table(table)).block(TIMEOUT).get(0).get("n");
    }
}
