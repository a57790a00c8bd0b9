package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static io.reactivees.r2dbc.StreamOrderInGlobalOrderIT.assertStreamsInVersionOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Writers on a few shared streams while the store's sessions are terminated at random, several times
 * a second: the write lanes in the middle of a commit, pooled connections, the listener. Each writer
 * retries every append with the same event ids until it is answered, at the version a conflict
 * reports, and after a failure as unavailable a moment later with the same expected version. Afterwards the
 * whole history is checked: every append is stored exactly once, entirely, at the versions and the
 * position it was told; nothing else is stored; each stream runs 1..n in the global order; and a
 * live subscriber that resumes after its last event whenever its subscription fails holds exactly
 * what {@code load()} returns.
 */
class KilledSessionsHistoryIT {

    private static final int WRITERS = 12;
    private static final int STREAMS = 4;
    private static final Duration CHAOS = Duration.ofSeconds(6);
    private static final long SEED = 20_261_204L;
    /** Attempts of one append before the test gives up on it (each is answered or fails fast). */
    private static final int MAX_ATTEMPTS = 1_000;

    private StoreOnSchema on;
    private Disposable subscriber;

    @AfterEach
    void close() {
        if (subscriber != null) {
            subscriber.dispose();
        }
        if (on != null) {
            on.close();
        }
    }

    /** One append or appendAll, and the results it was finally answered with. */
    private record Answered(List<StreamAppend> appends, List<AppendResult> results) {}

    /** What the writers ran into on the way. */
    private static final class Tally {
        final AtomicInteger conflicts = new AtomicInteger();
        final AtomicInteger unavailable = new AtomicInteger();
        final AtomicInteger kills = new AtomicInteger();
    }

    @Test
    void everyAppendRetriedWithItsIdsIsStoredOnceWhileSessionsAreKilledAndTheSubscriberHoldsTheLog() throws Exception {
        String applicationName = PgTestSupport.applicationName("killed");
        on = PgTestSupport.newStore(PgTestSupport.namedFactory(applicationName), options -> options
                .pollInterval(Duration.ofMillis(100))
                .poolSize(0, 8));
        List<RecordedEvent> seen = new CopyOnWriteArrayList<>();
        AtomicReference<Position> last = new AtomicReference<>(Position.START);
        subscriber = Flux.defer(() -> on.store.subscribe(EventQuery.all().after(last.get())))
                .doOnNext(event -> {
                    seen.add(event);
                    last.set(event.position());
                })
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(50)).maxBackoff(Duration.ofMillis(500)))
                .subscribe();

        Tally tally = new Tally();
        AtomicBoolean writing = new AtomicBoolean(true);
        var writers = Flux.range(0, WRITERS)
                .flatMap(w -> writer(w, writing, tally), WRITERS)
                .collectList()
                .toFuture();
        killSessions(applicationName, tally).block(CHAOS.plus(TIMEOUT));
        writing.set(false); // each writer finishes the append it is on, then stops
        List<Answered> answered = writers.get(2 * TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        List<RecordedEvent> history = on.loadAll();
        assertStrictGlobalOrder(history);
        assertStreamsInVersionOrder(history);
        assertEachAppendStoredOnceWhereTold(answered, history);
        for (int s = 0; s < STREAMS; s++) {
            StreamId stream = stream(s);
            assertEquals(history.stream().filter(e -> e.streamId().equals(stream)).count(),
                    on.store.streamVersion(stream).block(TIMEOUT), "the version of " + stream + " counts its events");
        }
        PgTestSupport.awaitTrue("the subscriber caught up", () -> seen.size() >= history.size());
        assertEquals(ids(history), ids(seen), "the subscriber holds exactly load(), in order");

        assertTrue(tally.kills.get() >= 20, "sessions were killed: " + tally.kills);
        assertTrue(tally.unavailable.get() > 0, "some appends failed as unavailable and were retried");
        assertTrue(tally.conflicts.get() > 0, "some appends conflicted and were retried at the reported version");
        assertTrue(answered.size() > 100, "the writers made progress through the kills: " + answered.size() + " appends");
    }

    /** Every append is stored once, entirely, where its result says; nothing else is stored. */
    private static void assertEachAppendStoredOnceWhereTold(List<Answered> answered, List<RecordedEvent> history) {
        Map<UUID, RecordedEvent> byId = new HashMap<>();
        history.forEach(event -> byId.put(event.eventId(), event));
        Set<UUID> appended = new HashSet<>();
        for (Answered append : answered) {
            for (int i = 0; i < append.appends().size(); i++) {
                StreamAppend entry = append.appends().get(i);
                AppendResult result = append.results().get(i);
                entry.events().forEach(e -> appended.add(e.eventId()));
                ConcurrentWritersHistoryIT.assertStoredWhereReported(entry, result, byId);
            }
        }
        assertEquals(appended, byId.keySet(), "the log holds the writers' events and nothing else");
        assertEquals(appended.size(), history.size(), "no event stored twice");
    }

    // ------------------------------------------------------------------ load

    private static StreamId stream(int s) {
        return StreamId.of("acct", Integer.toString(s));
    }

    /**
     * One writer: appends one after another while {@code writing} says so, mostly to one shared
     * stream and sometimes to two at once, each on the versions it last knew.
     */
    private Flux<Answered> writer(int w, AtomicBoolean writing, Tally tally) {
        Random random = new Random(SEED + w);
        Map<StreamId, Long> known = new HashMap<>();
        AtomicInteger n = new AtomicInteger();
        return Flux.defer(() -> {
                    StreamId first = stream(random.nextInt(STREAMS));
                    List<StreamAppend> appends = random.nextInt(4) > 0
                            ? List.of(entry(first, known, events(w, n.get(), "a", 1 + random.nextInt(3))))
                            : List.of(entry(first, known, events(w, n.get(), "a", 1 + random.nextInt(2))),
                                    entry(stream((Integer.parseInt(first.id()) + 1 + random.nextInt(STREAMS - 1)) % STREAMS), known,
                                            events(w, n.get(), "b", 1 + random.nextInt(2))));
                    n.incrementAndGet();
                    return untilAnswered(appends, 1, tally)
                            .doOnNext(answer -> answer.results().forEach(r -> known.put(r.streamId(), r.toVersion())));
                })
                .repeat(writing::get);
    }

    private static StreamAppend entry(StreamId stream, Map<StreamId, Long> known, List<EventData> events) {
        return StreamAppend.of(stream, ExpectedVersion.exact(known.getOrDefault(stream, 0L)), events);
    }

    private static List<EventData> events(int w, int n, String part, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> EventData.of("acct.touched", "{\"w\":" + w + ",\"n\":" + n + ",\"" + part + "\":" + i + "}"))
                .toList();
    }

    /**
     * Sends the appends until they are answered, always with the same event ids: after a conflict at
     * the version it reports, after a failure as unavailable (which may or may not have stored them)
     * unchanged.
     */
    private Mono<Answered> untilAnswered(List<StreamAppend> appends, int attempt, Tally tally) {
        if (attempt > MAX_ATTEMPTS) {
            return Mono.error(new AssertionError("not answered after " + MAX_ATTEMPTS + " attempts: " + appends));
        }
        Mono<List<AppendResult>> send = appends.size() == 1
                ? on.store.append(appends.get(0).streamId(), appends.get(0).expected(), appends.get(0).events()).map(List::of)
                : on.store.appendAll(appends);
        return send.map(results -> new Answered(appends, results))
                .onErrorResume(ConcurrencyConflictException.class, conflict -> {
                    tally.conflicts.incrementAndGet();
                    List<StreamAppend> again = appends.stream()
                            .map(a -> a.streamId().equals(conflict.streamId())
                                    ? StreamAppend.of(a.streamId(), ExpectedVersion.exact(conflict.actualVersion()), a.events())
                                    : a)
                            .toList();
                    return untilAnswered(again, attempt + 1, tally);
                })
                .onErrorResume(StoreUnavailableException.class, unavailable -> {
                    tally.unavailable.incrementAndGet();
                    return Mono.delay(Duration.ofMillis(5)).then(Mono.defer(() -> untilAnswered(appends, attempt + 1, tally)));
                });
    }

    /**
     * Terminates one of the store's sessions 20 to 100 ms after the last termination ended, for
     * {@link #CHAOS}: every other time one that is running a statement (a lane in its commit, most
     * likely), otherwise any of them.
     */
    private static Mono<Void> killSessions(String applicationName, Tally tally) {
        Random random = new Random(SEED);
        long until = System.nanoTime() + CHAOS.toNanos();
        return Mono.defer(() -> Mono.delay(Duration.ofMillis(20 + random.nextInt(80)))
                        .then(PgTestSupport.queryAsync("SELECT pg_terminate_backend(pid) AS killed FROM (SELECT pid FROM pg_stat_activity"
                                + " WHERE application_name = $1 AND ($2 OR state = 'active') ORDER BY random() LIMIT 1) victim",
                                applicationName, random.nextBoolean())))
                .doOnNext(rows -> rows.stream().filter(row -> Boolean.TRUE.equals(row.get("killed"))).forEach(row -> tally.kills.incrementAndGet()))
                .repeat(() -> System.nanoTime() < until)
                .then();
    }
}
