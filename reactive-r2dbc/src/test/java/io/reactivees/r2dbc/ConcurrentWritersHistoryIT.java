package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static io.reactivees.r2dbc.StreamOrderInGlobalOrderIT.assertStreamsInVersionOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
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
 * global order, and every subscription saw exactly what {@code load} returns. Some writers tag their
 * events, and some decide under an append condition on a tag ("nothing tagged slot:k since I read"):
 * every conditioned append that was stored saw every matching event committed before it, and every
 * one that failed names a stored matching event after the position it read.
 */
class ConcurrentWritersHistoryIT {

    private static final int WRITERS = 32;
    private static final int ATTEMPTS_PER_WRITER = 20;
    private static final int STREAMS = 10;
    private static final int RAW_ABORTERS = 4;
    private static final int RAW_ABORTS_EACH = 25;
    private static final long SEED = 20_240_611L;
    private static final int SLOTS = 5;

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

    private enum Outcome { STORED, CONFLICT, CONDITION_FAILED, UNKNOWN }

    /**
     * One append or appendAll a writer tried, and what it was told; with its condition (null for
     * none) and, when the condition failed, the position it named.
     */
    private record Attempt(List<StreamAppend> appends, Outcome outcome, List<AppendResult> results, AppendCondition condition,
                           Position matchedAt) {
        Attempt(List<StreamAppend> appends, Outcome outcome, List<AppendResult> results) {
            this(appends, outcome, results, null, null);
        }

        List<UUID> eventIds() {
            return appends.stream().flatMap(a -> a.events().stream()).map(EventData::eventId).toList();
        }
    }

    @Test
    void thirtyTwoWritersWithAbortsAndRollbacksLeaveAnExactHistoryThatEverySubscriptionSees() throws Exception {
        Collected live = on.follow(EventQuery.all());
        Collected filtered = on.follow(EventQuery.of(EventFilter.forCategory("fresh"), EventFilter.forType("w.7")));
        Collected tagged = on.follow(EventQuery.of(EventFilter.forTags("slot:1"), EventFilter.forType("w.3").tagged("slot:2")));
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
        assertSaw("the tag subscription", tagged, history.stream()
                .filter(e -> e.tags().contains("slot:1") || e.type().equals("w.3") && e.tags().contains("slot:2"))
                .toList());
        assertConditionsHeld(attempts, history);
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
                case CONFLICT, CONDITION_FAILED -> assertEquals(0, present, "nothing of a conflicting append is stored");
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

    /**
     * Every conditioned append that was stored saw every event its query matches committed before
     * it (none lies between the position it read and its own); every one that failed names a stored
     * event its query matches, after that position.
     */
    private static void assertConditionsHeld(List<Attempt> attempts, List<RecordedEvent> history) {
        int stored = 0;
        int failed = 0;
        for (Attempt attempt : attempts) {
            if (attempt.condition() == null) {
                continue;
            }
            AppendCondition condition = attempt.condition();
            if (attempt.outcome() == Outcome.STORED) {
                stored++;
                Set<UUID> own = new HashSet<>(attempt.eventIds());
                Position committed = attempt.results().get(0).position();
                for (RecordedEvent event : history) {
                    if (!own.contains(event.eventId()) && condition.matches(event)) {
                        assertTrue(event.position().isAfter(committed), "a conditioned append at " + committed + " missed "
                                + event + ", committed after the position it read (" + condition.after() + ") and before it");
                    }
                }
            } else if (attempt.outcome() == Outcome.CONDITION_FAILED) {
                failed++;
                assertTrue(history.stream().anyMatch(e -> e.position().equals(attempt.matchedAt()) && condition.matches(e)),
                        "a failed condition names a stored matching event: " + attempt.matchedAt());
            }
        }
        assertTrue(stored > 0 && failed > 0, "conditioned appends both passed and failed: " + stored + " stored, " + failed + " failed");
    }

    static void assertStoredWhereReported(StreamAppend append, AppendResult result, Map<UUID, RecordedEvent> byId) {
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
            String slot = "slot:" + random.nextInt(SLOTS);
            return run(List.of(StreamAppend.of(stream, ExpectedVersion.any(), events.stream().map(e -> e.withTags(slot, "w:" + w)).toList())), null);
        }
        if (kind < 65) {
            StreamId fresh = StreamId.of("fresh", w + "." + n);
            return run(List.of(StreamAppend.of(fresh, ExpectedVersion.noStream(), events)), null);
        }
        StreamId other = existing((Integer.parseInt(stream.id()) + 1 + random.nextInt(STREAMS - 1)) % STREAMS);
        List<EventData> otherEvents = events(w, n + 1000, 1 + random.nextInt(2));
        if (kind >= 80 && kind < 90) {
            return decide(w, n, random);
        }
        if (kind < 80) {
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

    /**
     * A decider: reads what is tagged with a slot, then claims it under the condition that nothing
     * so tagged came since, in a stream of its own (any version: the condition guards the decision).
     */
    private Mono<Attempt> decide(int w, int n, Random random) {
        String slot = "slot:" + random.nextInt(SLOTS);
        EventQuery query = EventQuery.of(EventFilter.forTags(slot));
        List<StreamAppend> appends = List.of(StreamAppend.of(StreamId.of("claim", w + "." + n), ExpectedVersion.any(),
                events(w, n, 1 + random.nextInt(2)).stream().map(e -> e.withTags(slot)).toList()));
        return on.store.load(query).map(RecordedEvent::position).last(Position.START).flatMap(read -> {
            AppendCondition condition = AppendCondition.failIfEventsMatch(query).after(read);
            return on.store.appendAll(appends, condition)
                    .map(results -> new Attempt(appends, Outcome.STORED, results, condition, null))
                    .onErrorResume(AppendConditionFailedException.class,
                            e -> Mono.just(new Attempt(appends, Outcome.CONDITION_FAILED, List.of(), condition, e.matchedAt())));
        });
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
     * It takes the stream's advisory lock first, as every writer of the schema must: one that took
     * the stream's row lock without it could deadlock with a commit that holds the advisory lock
     * and has inserted an event at the same version (PostgreSQL then aborts one of the two; seen
     * with the step-5 functions as well).
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
                .thenMany(PgTestSupport.rows(connection, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked",
                        AppendFunction.lockKey(new SqlNames(on.schema), stream)))
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
