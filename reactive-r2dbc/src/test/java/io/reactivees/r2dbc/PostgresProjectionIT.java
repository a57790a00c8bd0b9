package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionRunner;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Transactional projections and projection leases on a real PostgreSQL. */
class PostgresProjectionIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final EventQuery ACCOUNTS = EventQuery.of(EventFilter.forCategory("account"));

    private PostgresEventStore store;
    private String schema;

    @BeforeEach
    void freshStore() {
        schema = PostgresTestDatabase.newSchema();
        store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).pollInterval(Duration.ofMillis(100)).poolSize(0, 12).build())
                .build();
        store.migrate().block(TIMEOUT);
        PostgresTestDatabase.execute("CREATE TABLE " + schema + ".counts (stream_id text PRIMARY KEY, n bigint NOT NULL)");
    }

    @AfterEach
    void dropStore() {
        store.close().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(schema);
    }

    private void appendAcrossStreams(int streams, int eventsPerStream) {
        Flux.range(0, streams)
                .concatMap(s -> store.append(StreamId.of("account", "a" + s), ExpectedVersion.any(),
                        IntStream.range(0, eventsPerStream).mapToObj(i -> EventData.of("account.touched", "{\"i\":" + i + "}")).toList()))
                .then()
                .block(TIMEOUT);
    }

    private Mono<Void> countIn(RecordedEvent event, Connection connection) {
        return Database.rows(connection, new Database.Sql("INSERT INTO " + schema + ".counts (stream_id, n) VALUES ($1, 1)"
                        + " ON CONFLICT (stream_id) DO UPDATE SET n = counts.n + 1", List.of(event.streamId().toString())), row -> row)
                .then();
    }

    private Map<String, Long> counts() {
        return store.database().withConnection(c -> Database.rows(c, new Database.Sql("SELECT stream_id, n FROM " + schema + ".counts", List.of()),
                        row -> Map.entry(row.get("stream_id", String.class), row.get("n", Long.class)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)).block(TIMEOUT);
    }

    private long totalCount() {
        return counts().values().stream().mapToLong(Long::longValue).sum();
    }

    /** Polls {@code condition} from the test thread (it may block) until it holds or the timeout passes. */
    private static void await(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + TIMEOUT);
            }
            Mono.delay(Duration.ofMillis(20)).block();
        }
    }

    @Test
    void aTransactionalProjectionAppliesEachEventExactlyOnceAcrossCrashesAndRestarts() {
        appendAcrossStreams(5, 40);
        AtomicInteger seen = new AtomicInteger();
        // First run: the handler writes, then "crashes" on the 57th event: that transaction rolls back.
        BiFunction<RecordedEvent, Connection, Mono<Void>> crashing = (event, connection) -> countIn(event, connection)
                .then(Mono.defer(() -> seen.incrementAndGet() == 57 ? Mono.error(new IllegalStateException("crash")) : Mono.empty()));
        ProjectionRunner first = PostgresTransactionalProjection.runner(store, "counts", ACCOUNTS, crashing).build();
        first.start();
        await(() -> first.failure().isPresent());
        assertEquals(56, totalCount());

        // Second run: stopped part-way through, while events are being applied.
        ProjectionRunner second = PostgresTransactionalProjection.runner(store, "counts", ACCOUNTS, this::countIn).build();
        second.start();
        await(() -> totalCount() >= 120);
        second.stop().block(TIMEOUT);

        // Third run: to the end.
        ProjectionRunner third = PostgresTransactionalProjection.runner(store, "counts", ACCOUNTS, this::countIn).build();
        third.start();
        await(() -> totalCount() >= 200);
        third.stop().block(TIMEOUT);
        Map<String, Long> counts = counts();
        assertEquals(5, counts.size());
        counts.values().forEach(n -> assertEquals(40L, n));
        assertEquals(store.load(ACCOUNTS).blockLast(TIMEOUT).position(), PostgresCheckpointStore.of(store).load("counts").block(TIMEOUT));
    }

    @Test
    void onlyOneOfTwoRunnersWithALeaseIsActiveAndTheOtherTakesOver() {
        AtomicInteger byFirst = new AtomicInteger();
        AtomicInteger bySecond = new AtomicInteger();
        PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
        PostgresProjectionLease lease = PostgresProjectionLease.of(store, Duration.ofMillis(100));
        ProjectionRunner first = ProjectionRunner.builder(store, checkpoints,
                Projection.of("leased", ACCOUNTS, e -> Mono.fromRunnable(byFirst::incrementAndGet))).lease(lease).build();
        ProjectionRunner second = ProjectionRunner.builder(store, checkpoints,
                Projection.of("leased", ACCOUNTS, e -> Mono.fromRunnable(bySecond::incrementAndGet))).lease(lease).build();
        try {
            first.start();
            appendAcrossStreams(2, 10);
            await(() -> byFirst.get() == 20);
            second.start();
            appendAcrossStreams(2, 5);
            await(() -> byFirst.get() == 30);
            assertEquals(0, bySecond.get(), "the runner without the lease must not run");

            first.stop().block(TIMEOUT);
            appendAcrossStreams(2, 5);
            await(() -> bySecond.get() == 10);
            assertEquals(30, byFirst.get());
            assertTrue(second.isRunning());
        } finally {
            first.stop().block(TIMEOUT);
            second.stop().block(TIMEOUT);
        }
    }

    @Test
    void whenTheHoldersConnectionDiesTheLeaseIsTakenAgainAndNoEventIsLost() {
        List<RecordedEvent> applied = new java.util.concurrent.CopyOnWriteArrayList<>();
        PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
        ProjectionRunner first = ProjectionRunner.builder(store, checkpoints, Projection.of("leased", ACCOUNTS, e -> Mono.fromRunnable(() -> applied.add(e))))
                .lease(PostgresProjectionLease.of(store, Duration.ofMillis(100))).build();
        ProjectionRunner second = ProjectionRunner.builder(store, checkpoints, Projection.of("leased", ACCOUNTS, e -> Mono.fromRunnable(() -> applied.add(e))))
                .lease(PostgresProjectionLease.of(store, Duration.ofMillis(100))).build();
        String holder = "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended('" + schema + ":leased', 0)";
        try {
            first.start();
            second.start();
            appendAcrossStreams(1, 5);
            await(() -> applied.size() >= 5);
            List<Integer> before = pids(holder);
            assertEquals(1, before.size(), "exactly one session holds the lease");
            // Kill the session holding the lock, as if its host had died.
            PostgresTestDatabase.execute("SELECT pg_terminate_backend(pid) FROM (" + holder + ") h");
            await(() -> pids(holder).size() == 1 && !pids(holder).equals(before));
            appendAcrossStreams(1, 5);
            await(() -> applied.stream().map(RecordedEvent::eventId).distinct().count() == 10);
            assertEquals(1, pids(holder).size(), "still exactly one session holds the lease");
        } finally {
            first.stop().block(TIMEOUT);
            second.stop().block(TIMEOUT);
        }
    }

    private static List<Integer> pids(String sql) {
        return Flux.usingWhen(Mono.from(PostgresTestDatabase.connectionFactory().create()),
                        c -> Flux.from(c.createStatement(sql).execute()).concatMap(r -> r.map((row, meta) -> row.get("pid", Integer.class))),
                        c -> c.close())
                .collectList()
                .block(TIMEOUT);
    }
}
