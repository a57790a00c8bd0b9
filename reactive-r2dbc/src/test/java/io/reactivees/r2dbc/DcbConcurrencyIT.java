package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.decision.DecisionModel;
import io.reactivees.core.decision.DecisionProjection;
import io.reactivees.core.decision.DecisionResult;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Append conditions under concurrency on PostgreSQL: racing deciders on overlapping queries never
 * both win, deciders on disjoint queries do not wait for each other, and a plain append of a
 * matching event that is in flight is seen by the check.
 */
class DcbConcurrencyIT {

    @EventType("seat.reserved")
    record SeatReserved(String seat, int decider) {}

    static final class SeatTaken extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private StoreOnSchema on;

    @BeforeEach
    void store() {
        on = PgTestSupport.newStore(options -> options.poolSize(1, 16));
    }

    @AfterEach
    void close() {
        on.close();
    }

    private static DecisionProjection<Boolean, SeatReserved> seat(String seat) {
        return DecisionProjection.of(EventQuery.of(EventFilter.forType("seat.reserved").tagged("seat:" + seat)), false, (taken, e) -> true);
    }

    @Test
    void thirtyTwoDecidersForTenSeatsHaveExactlyTenWinnersAndNoSeatTwice() {
        DecisionModel<SeatReserved> model = DecisionModel.builder(on.store,
                        JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(SeatReserved.class)), SeatReserved.class)
                .streamOf(e -> StreamId.of("reservation", Integer.toString(e.decider())))
                .tagsOf(e -> Set.of("seat:" + e.seat(), "show:1"))
                .retryPolicy(new RetryPolicy(50, Duration.ofMillis(1), Duration.ofMillis(50), 0.5))
                .build();
        ConcurrentLinkedQueue<DecisionResult<SeatReserved>> won = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> lost = new ConcurrentLinkedQueue<>();
        Flux.range(0, 32)
                .flatMap(d -> {
                    String seat = Integer.toString(d % 10 + 1);
                    return model.decide(seat(seat), taken -> {
                                if (taken) {
                                    throw new SeatTaken();
                                }
                                return List.of(new SeatReserved(seat, d));
                            })
                            .doOnNext(won::add)
                            .onErrorResume(e -> {
                                lost.add(e);
                                return Mono.empty();
                            })
                            .subscribeOn(Schedulers.parallel());
                }, 32)
                .then()
                .block(TIMEOUT.multipliedBy(2));

        assertEquals(10, won.size(), "winners; losers failed with " + lost.stream().map(e -> e.getClass().getSimpleName()).distinct().toList());
        assertEquals(22, lost.size());
        lost.forEach(e -> assertInstanceOf(SeatTaken.class, e));
        List<RecordedEvent> stored = on.loadAll();
        assertEquals(10, stored.size());
        assertEquals(10, stored.stream().map(RecordedEvent::tags).collect(Collectors.toSet()).size(), "no seat reserved twice");
        assertEquals(10, on.store.load(EventQuery.of(EventFilter.forTags("show:1"))).count().block(TIMEOUT));
    }

    @Test
    void decidersWhoseQueriesOverlapThroughOtherFirstTagsCannotBothWin() {
        // every event carries a:1 and b:1, so it matches both queries; one query locks b:1, the other a:1 first
        EventQuery onlyB = EventQuery.of(EventFilter.forTags("b:1"));
        EventQuery both = EventQuery.of(EventFilter.forTags("a:1", "b:1"));
        ConcurrentLinkedQueue<AppendResult> won = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> lost = new ConcurrentLinkedQueue<>();
        Flux.range(0, 16)
                .flatMap(d -> on.store.append(StreamId.of("claim", Integer.toString(d)), ExpectedVersion.noStream(),
                                List.of(EventData.of("claimed", "{}").withTags("a:1", "b:1")),
                                AppendCondition.failIfEventsMatch(d % 2 == 0 ? onlyB : both))
                        .doOnNext(won::add)
                        .onErrorResume(e -> {
                            lost.add(e);
                            return Mono.empty();
                        })
                        .subscribeOn(Schedulers.parallel()), 16)
                .then()
                .block(TIMEOUT);
        assertEquals(1, won.size());
        lost.forEach(e -> assertInstanceOf(AppendConditionFailedException.class, e));
        assertEquals(1, on.loadAll().size());
    }

    /** The key a decider on {@code tag} takes exclusive, and every writer of an event with it shared. */
    private String tagKey(String tag) {
        return AppendFunction.tagLockPrefix(new SqlNames(on.schema)) + tag;
    }

    private Mono<AppendResult> decide(String seat, Position after) {
        return on.store.append(StreamId.of("reservation", seat + "-" + System.nanoTime()), ExpectedVersion.any(),
                List.of(EventData.of("seat.reserved", "{}").withTags("seat:" + seat)),
                AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("seat:" + seat))).after(after));
    }

    /** Waits until a conditioned append of the schema waits for an advisory lock. */
    private void awaitDeciderWaiting() {
        PgTestSupport.await("a conditioned append waits for an advisory lock", () -> PgTestSupport.queryAsync(
                        "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
                                + " AND query LIKE '%' || $1 || '%append_if%'", on.schema)
                .map(rows -> (Long) rows.get(0).get("n") > 0));
    }

    @Test
    void aDeciderHoldingItsLocksDoesNotHoldUpADisjointOneButDoesHoldUpAnOverlappingOne() throws Exception {
        try (RawSession decider = new RawSession()) {
            // a decider on seat:A mid-transaction: it holds seat:A's key exclusive
            decider.begin();
            decider.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked", tagKey("seat:A"));

            // a decider on seat:B runs to its commit meanwhile
            AppendResult other = decide("B", Position.START).block(Duration.ofSeconds(10));
            assertEquals(1, other.toVersion());

            // one on seat:A waits for it, and so does a plain writer of a seat:A event
            CompletableFuture<AppendResult> overlapping = decide("A", Position.START).toFuture();
            awaitDeciderWaiting();
            assertTrue(!overlapping.isDone(), "the overlapping decider must wait");
            decider.rollback();
            assertEquals(1, overlapping.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).toVersion());
        }
    }

    /**
     * The lone append's forks for one untagged event (migration step 10) take
     * its type's key shared and its stream's key exclusive, as every other append does: a decider
     * holding the type's key holds it up, and so does a transaction holding the stream's key.
     */
    @Test
    void aLoneUntaggedEventWaitsForTheKeysOfItsTypeAndItsStream() throws Exception {
        StreamId stream = StreamId.of("ticket", "lone");
        assertEquals(1, on.store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("ticket.sold", "{}"))).block(TIMEOUT).toVersion());
        SqlNames names = new SqlNames(on.schema);
        List<String> keys = List.of(AppendFunction.typeLockPrefix(names) + "ticket.sold", AppendFunction.lockKey(names, stream.toString()));
        for (int i = 0; i < keys.size(); i++) {
            try (RawSession holder = new RawSession()) {
                holder.begin();
                holder.query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked", keys.get(i));
                CompletableFuture<AppendResult> append = on.store.append(stream, ExpectedVersion.exact(i + 1),
                        List.of(EventData.of("ticket.sold", "{}"))).toFuture();
                PgTestSupport.await("the lone append waits for " + keys.get(i), () -> PgTestSupport.queryAsync(
                                "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
                                        + " AND query LIKE '%' || $1 || '%append_one%'", on.schema)
                        .map(rows -> (Long) rows.get(0).get("n") > 0));
                assertTrue(!append.isDone(), "the append must wait for " + keys.get(i));
                holder.rollback();
                AppendResult result = append.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                assertEquals(i + 1, result.fromVersion());
                assertEquals(i + 2, result.toVersion());
            }
        }
        // a stale version falls through the branch, having written nothing, to the conflict's answer
        Throwable stale = PgTestSupport.errorOf(on.store.append(stream, ExpectedVersion.exact(1), List.of(EventData.of("ticket.sold", "{}"))));
        assertEquals(3, assertInstanceOf(ConcurrencyConflictException.class, stale).actualVersion());
        assertEquals(List.of(1L, 2L, 3L), on.loadAll().stream().map(RecordedEvent::streamVersion).toList());
    }

    @Test
    void aConditionInTheCallersTransactionHoldsUntilItEnds() throws Exception {
        AppendCondition nothingOnA = AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("seat:A")));
        try (RawSession caller = new RawSession()) {
            caller.begin();
            List<AppendResult> results = on.store.appendInTransaction(caller.connection, List.of(StreamAppend.of(
                    StreamId.of("reservation", "caller"), ExpectedVersion.noStream(),
                    List.of(EventData.of("seat.reserved", "{}").withTags("seat:A")))), nothingOnA).block(TIMEOUT);
            assertEquals(1, results.get(0).toVersion());
            // a rival decider on seat:A waits for the caller's transaction, then sees its event
            CompletableFuture<AppendResult> rival = decide("A", Position.START).toFuture();
            awaitDeciderWaiting();
            caller.commit();
            ExecutionException failure = assertThrows(ExecutionException.class, () -> rival.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(AppendConditionFailedException.class, failure.getCause());
        }
        try (RawSession caller = new RawSession()) {
            caller.begin();
            Throwable failed = PgTestSupport.errorOf(on.store.appendInTransaction(caller.connection, List.of(StreamAppend.of(
                    StreamId.of("reservation", "late"), ExpectedVersion.any(), List.of(EventData.of("seat.reserved", "{}").withTags("seat:A")))),
                    nothingOnA));
            assertInstanceOf(AppendConditionFailedException.class, failed);
            caller.rollback();
        }
        assertEquals(1, on.loadAll().size());
    }

    @Test
    void aPlainAppendOfAMatchingEventInFlightIsSeenByTheCheck() {
        try (RawSession writer = new RawSession()) {
            writer.begin();
            on.store.appendInTransaction(writer.connection, List.of(StreamAppend.of(StreamId.of("reservation", "plain"),
                    ExpectedVersion.noStream(), List.of(EventData.of("seat.reserved", "{}").withTags("seat:A"))))).block(TIMEOUT);

            // the writer holds seat:A's key shared: a decider on seat:B is not held up
            assertEquals(1, decide("B", Position.START).block(Duration.ofSeconds(10)).toVersion());

            // a decider on seat:A that read nothing must wait for the writer, then see its event
            CompletableFuture<AppendResult> decided = decide("A", Position.START).toFuture();
            awaitDeciderWaiting();
            writer.commit();
            ExecutionException failure = assertThrows(ExecutionException.class, () -> decided.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            assertInstanceOf(AppendConditionFailedException.class, failure.getCause());
        }
        Map<Set<String>, Long> byTags = on.loadAll().stream().collect(Collectors.groupingBy(RecordedEvent::tags, Collectors.counting()));
        assertEquals(Map.of(Set.of("seat:A"), 1L, Set.of("seat:B"), 1L), byTags);
        assertEquals(new HashSet<>(List.of("seat:A", "seat:B")),
                on.loadAll().stream().flatMap(e -> e.tags().stream()).collect(Collectors.toSet()));
    }
}
