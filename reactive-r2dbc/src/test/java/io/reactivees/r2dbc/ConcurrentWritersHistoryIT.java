package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static io.reactivees.r2dbc.StreamOrderInGlobalOrderIT.assertStreamsInVersionOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Many writers at once, some of them giving up part-way and some raw transactions rolling back,
 * while subscriptions follow the log: afterwards the whole history is checked, not a sample. Every
 * acknowledged append is stored exactly where its result says, a conflicting one not at all, an
 * abandoned one entirely or not at all, nothing rolled back shows up, each stream runs 1..n in the
 * global order, and every subscription saw exactly what {@code load} returns.
 */
class ConcurrentWritersHistoryIT {

    private static final int WRITERS = 32;
    private static final int ATTEMPTS_PER_WRITER = 20;
    private static final int STREAMS = 10;
    private static final int RAW_ABORTERS = 4;
    private static final int RAW_ABORTS_EACH = 25;
    private static final long SEED = 20_240_611L;

    private StoreOnSchema on;
    private final List<Disposable> subscriptions = new ArrayList<>();

    @BeforeEach
    void storeWithStreams() {
        on = PgTestSupport.newStore(options -> options
                .pageSize(50)
                .subscriberBufferSize(16)
                .pollInterval(Duration.ofMillis(100))
                .poolSize(0, 24));
        for (int s = 0; s < STREAMS; s++) {
            on.store.append(existing(s), ExpectedVersion.noStream(), List.of(EventData.of("acct.opened", "{\"s\":" + s + "}")))
                    .block(TIMEOUT);
        }
    }

    @AfterEach
    void close() {
        subscriptions.forEach(Disposable::dispose);
        on.close();
    }

    private enum Outcome { STORED, CONFLICT, UNKNOWN }

    /** One append or appendAll a writer tried, and what it was told. */
    private record Attempt(List<StreamAppend> appends, Outcome outcome, List<AppendResult> results) {
        List<UUID> eventIds() {
            return appends.stream().flatMap(a -> a.events().stream()).map(EventData::eventId).toList();
        }
    }

    @Test
    void thirtyTwoWritersWithAbortsAndRollbacksLeaveAnExactHistoryThatEverySubscriptionSees() throws Exception {
        Collected live = on.follow(EventQuery.all());
        Collected filtered = on.follow(EventQuery.of(EventFilter.forCategory("fresh"), EventFilter.forType("w.7")));
        Collected slow = new Collected();
        subscriptions.add(on.store.subscribe(EventQuery.all())
                .concatMap(event -> Mono.delay(Duration.ofMillis(1)).thenReturn(event), 1)
                .subscribe(slow.events::add, slow::fail));

        Mono<List<Attempt>> writers = Flux.range(0, WRITERS)
                .flatMap(this::writer, WRITERS)
                .collectList();
        Mono<List<UUID>> aborters = Flux.range(0, RAW_ABORTERS)
                .flatMap(this::rawAborter, RAW_ABORTERS)
                .flatMapIterable(ids -> ids)
                .collectList();
        var running = Mono.zip(writers, aborters).toFuture();

        live.awaitAtLeast(STREAMS + 150);
        Collected late = on.follow(EventQuery.all()); // joins while the writers are busy

        var done = running.get(2 * TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        List<Attempt> attempts = done.getT1();
        List<UUID> rolledBack = done.getT2();
        // an abandoned append may still be running on the server (its client gave up, not the
        // database); the history is final once nothing of this schema is in flight
        PgTestSupport.await("no transaction of the test is still in flight", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND state <> 'idle'"
                                + " AND query LIKE '%' || $1 || '%' AND query NOT LIKE '%pg_snapshot_xmin%'", on.schema)
                .map(rows -> (Long) rows.get(0).get("n") == 0));
        List<RecordedEvent> history = on.loadAll();

        assertStrictGlobalOrder(history);
        assertStreamsInVersionOrder(history);
        assertStreamVersionsMatch(history);
        assertAttemptsMatch(attempts, history);
        Set<UUID> stored = new HashSet<>(ids(history));
        assertTrue(rolledBack.stream().noneMatch(stored::contains), "no event of a rolled-back raw transaction is stored");
        assertEquals(RAW_ABORTERS * RAW_ABORTS_EACH, rolledBack.size());

        List<RecordedEvent> expectedFiltered = history.stream()
                .filter(e -> e.streamId().category().equals("fresh") || e.type().equals("w.7"))
                .toList();
        assertSaw("the live subscription", live, history);
        assertSaw("the subscription that joined late", late, history);
        assertSaw("the slow subscription", slow, history);
        assertSaw("the filtered subscription", filtered, expectedFiltered);
    }

    private static void assertSaw(String who, Collected subscription, List<RecordedEvent> expected) {
        subscription.awaitAtLeast(expected.size());
        List<RecordedEvent> seen = subscription.snapshot();
        assertEquals(ids(expected), ids(seen), who + " saw exactly the history, in order");
        assertEquals(expected, seen, who + " saw the stored events as stored");
    }

    private void assertStreamVersionsMatch(List<RecordedEvent> history) {
        Map<StreamId, Long> counted = history.stream().collect(Collectors.groupingBy(RecordedEvent::streamId, Collectors.counting()));
        for (Map.Entry<StreamId, Long> stream : counted.entrySet()) {
            assertEquals(stream.getValue(), on.store.streamVersion(stream.getKey()).block(TIMEOUT), "version of " + stream.getKey());
        }
        try (PgTestSupport.RawSession sql = new PgTestSupport.RawSession()) {
            assertEquals((long) counted.size(), sql.value("SELECT count(*) FROM " + on.table("streams")), "no stream row without events");
        }
    }

    private static void assertAttemptsMatch(List<Attempt> attempts, List<RecordedEvent> history) {
        Map<UUID, RecordedEvent> byId = new HashMap<>();
        history.forEach(e -> byId.put(e.eventId(), e));
        Set<UUID> attempted = new HashSet<>();
        Map<Outcome, Integer> outcomes = new HashMap<>();
        for (Attempt attempt : attempts) {
            outcomes.merge(attempt.outcome(), 1, Integer::sum);
            attempted.addAll(attempt.eventIds());
            long present = attempt.eventIds().stream().filter(byId::containsKey).count();
            switch (attempt.outcome()) {
                case STORED -> {
                    assertEquals(attempt.eventIds().size(), present, "every event of an acknowledged append is stored");
                    for (int i = 0; i < attempt.appends().size(); i++) {
                        assertStoredWhereReported(attempt.appends().get(i), attempt.results().get(i), byId);
                    }
                }
                case CONFLICT -> assertEquals(0, present, "nothing of a conflicting append is stored");
                case UNKNOWN -> assertTrue(present == 0 || present == attempt.eventIds().size(),
                        "an abandoned append is stored entirely or not at all, found " + present + " of " + attempt.eventIds().size());
                default -> throw new AssertionError(attempt);
            }
        }
        for (RecordedEvent event : history) {
            assertTrue(event.type().equals("acct.opened") || attempted.contains(event.eventId()),
                    "stored event " + event.eventId() + " was appended by someone");
        }
        assertEquals(WRITERS * ATTEMPTS_PER_WRITER, attempts.size());
        assertTrue(outcomes.getOrDefault(Outcome.STORED, 0) > attempts.size() / 5, "many attempts were stored: " + outcomes);
    }

    private static void assertStoredWhereReported(StreamAppend append, AppendResult result, Map<UUID, RecordedEvent> byId) {
        assertEquals(append.streamId(), result.streamId());
        assertEquals(result.fromVersion() + append.events().size(), result.toVersion());
        for (int i = 0; i < append.events().size(); i++) {
            RecordedEvent stored = byId.get(append.events().get(i).eventId());
            assertEquals(append.streamId(), stored.streamId());
            assertEquals(result.fromVersion() + 1 + i, stored.streamVersion(), "stored at the reported version");
            assertEquals(append.events().get(i).type(), stored.type());
        }
        if (!append.isCheckOnly()) {
            assertEquals(result.position(), byId.get(append.events().get(append.events().size() - 1).eventId()).position(),
                    "the result's position is its last event's");
        }
    }

    // ------------------------------------------------------------------ load

    private static StreamId existing(int s) {
        return StreamId.of("acct", Integer.toString(s));
    }

    /** One writer: a seeded mix of conditional, blind, multi-stream and abandoned appends, one after another. */
    private Flux<Attempt> writer(int w) {
        Random random = new Random(SEED + w);
        return Flux.range(0, ATTEMPTS_PER_WRITER).concatMap(n -> attempt(w, n, random));
    }

    private Mono<Attempt> attempt(int w, int n, Random random) {
        int kind = random.nextInt(100);
        StreamId stream = existing(random.nextInt(STREAMS));
        List<EventData> events = events(w, n, 1 + random.nextInt(3));
        if (kind < 40) {
            // read, decide, append on the version read: the aggregate's way
            return on.store.streamVersion(stream).defaultIfEmpty(0L)
                    .flatMap(v -> run(List.of(StreamAppend.of(stream, ExpectedVersion.exact(v), events)), null));
        }
        if (kind < 55) {
            return run(List.of(StreamAppend.of(stream, ExpectedVersion.any(), events)), null);
        }
        if (kind < 65) {
            StreamId fresh = StreamId.of("fresh", w + "." + n);
            return run(List.of(StreamAppend.of(fresh, ExpectedVersion.noStream(), events)), null);
        }
        StreamId other = existing((Integer.parseInt(stream.id()) + 1 + random.nextInt(STREAMS - 1)) % STREAMS);
        List<EventData> otherEvents = events(w, n + 1000, 1 + random.nextInt(2));
        if (kind < 85) {
            ExpectedVersion blind = random.nextBoolean() ? ExpectedVersion.any() : ExpectedVersion.streamExists();
            boolean withCheck = random.nextInt(4) == 0;
            StreamId checked = existing((Integer.parseInt(other.id()) + 1) % STREAMS);
            return on.store.streamVersion(stream).defaultIfEmpty(0L).flatMap(v -> {
                List<StreamAppend> appends = new ArrayList<>(List.of(
                        StreamAppend.of(stream, ExpectedVersion.exact(v), events),
                        StreamAppend.of(other, blind, otherEvents)));
                if (withCheck && !checked.equals(stream)) {
                    appends.add(StreamAppend.check(checked, ExpectedVersion.streamExists()));
                }
                return run(appends, null);
            });
        }
        // given up part-way: cancelled after a random few milliseconds, wherever it was by then
        Duration patience = Duration.ofMillis(random.nextInt(4));
        List<StreamAppend> appends = random.nextBoolean()
                ? List.of(StreamAppend.of(stream, ExpectedVersion.any(), events))
                : List.of(StreamAppend.of(stream, ExpectedVersion.any(), events), StreamAppend.of(other, ExpectedVersion.any(), otherEvents));
        return run(appends, patience);
    }

    private Mono<Attempt> run(List<StreamAppend> appends, Duration patience) {
        Mono<List<AppendResult>> append = appends.size() == 1
                ? on.store.append(appends.get(0).streamId(), appends.get(0).expected(), appends.get(0).events()).map(List::of)
                : on.store.appendAll(appends);
        if (patience != null) {
            append = append.timeout(patience);
        }
        return append.map(results -> new Attempt(appends, Outcome.STORED, results))
                .onErrorResume(ConcurrencyConflictException.class, e -> Mono.just(new Attempt(appends, Outcome.CONFLICT, List.of())))
                .onErrorResume(TimeoutException.class, e -> Mono.just(new Attempt(appends, Outcome.UNKNOWN, List.of())));
    }

    private static List<EventData> events(int w, int n, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> EventData.of("w." + w, "{\"w\":" + w + ",\"n\":" + n + ",\"i\":" + i + "}"))
                .collect(Collectors.toList());
    }

    /**
     * A raw writer that claims the next version of a stream and inserts an event at it, holds the
     * transaction a few milliseconds (blocking the store's writers on that stream), then rolls back.
     */
    private Mono<List<UUID>> rawAborter(int k) {
        Random random = new Random(SEED * 31 + k);
        return Mono.usingWhen(Mono.from(PostgresTestDatabase.connectionFactory().create()),
                connection -> Flux.range(0, RAW_ABORTS_EACH).concatMap(i -> abortOnce(connection, random)).collectList(),
                Connection::close);
    }

    private Mono<UUID> abortOnce(Connection connection, Random random) {
        String stream = existing(random.nextInt(STREAMS)).toString();
        UUID id = UUID.randomUUID();
        Duration hold = Duration.ofMillis(random.nextInt(4));
        return Mono.from(connection.beginTransaction())
                .thenMany(PgTestSupport.rows(connection,
                        "UPDATE " + on.table("streams") + " SET version = version + 1 WHERE stream_id = $1 RETURNING version", stream))
                .next()
                .flatMap(row -> PgTestSupport.rows(connection, "INSERT INTO " + on.table("events")
                                + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                                + " VALUES ($1::uuid, $2, 'acct', $3, 'raw.aborted', '{}'::jsonb, '{}'::jsonb)",
                        id.toString(), stream, row.get("version")).then())
                .then(Mono.delay(hold))
                .then(Mono.from(connection.rollbackTransaction()))
                .thenReturn(id);
    }
}
