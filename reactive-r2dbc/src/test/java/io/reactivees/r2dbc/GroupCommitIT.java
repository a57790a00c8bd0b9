package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The group commit: appends that queue while a commit is in flight share the next one, and each
 * gets its own answer. A "gate" holds the lock of one stream, as another store's commit would, so
 * the lane's commit in flight waits and what follows queues deterministically.
 */
class GroupCommitIT {

    private static final StreamId GATE = StreamId.of("gate", "1");

    private StoreOnSchema on;

    @AfterEach
    void close() {
        if (on != null) {
            on.close();
        }
    }

    private PostgresEventStore oneLane(UnaryOperator<PostgresEventStoreOptions.Builder> more) {
        on = PgTestSupport.newStore(options -> more.apply(options.writeLanes(1)));
        return on.store;
    }

    /** Holds the gate stream's lock and starts an append to it, which then waits in the lane. */
    private CompletableFuture<AppendResult> closeGate(RawSession gate, PostgresEventStore store) {
        gate.holdStreamLock(on.schema, GATE);
        CompletableFuture<AppendResult> waiting = store.append(GATE, ExpectedVersion.any(), List.of(EventData.of("gate.passed", "{}"))).toFuture();
        PgTestSupport.awaitCommitWaitingForStreamLock(on.schema);
        return waiting;
    }

    private static EventData event(String type) {
        return EventData.of(type, "{\"t\":\"" + type + "\"}");
    }

    private static <T> T result(CompletableFuture<T> future) throws Exception {
        return future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    private static Throwable failure(CompletableFuture<?> future) {
        return assertThrows(ExecutionException.class, () -> future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).getCause();
    }

    private long stored(List<EventData> events) {
        try (RawSession sql = new RawSession()) {
            return (Long) sql.value("SELECT count(*) FROM " + on.table("events") + " WHERE event_id = ANY($1::uuid[])",
                    (Object) events.stream().map(e -> e.eventId().toString()).toArray(String[]::new));
        }
    }

    @Test
    void appendsQueuedTogetherShareOneCommitAndEachGetsItsOwnAnswer() throws Exception {
        PostgresEventStore store = oneLane(o -> o);
        StreamId s1 = StreamId.of("acct", "1");
        StreamId s2 = StreamId.of("acct", "2");
        StreamId s3 = StreamId.of("acct", "3");
        StreamId earlier = StreamId.of("acct", "earlier");
        List<EventData> earlierBatch = List.of(event("opened"), event("deposited"));
        AppendResult earlierResult = store.append(earlier, ExpectedVersion.noStream(), earlierBatch).block(TIMEOUT);
        store.append(earlier, ExpectedVersion.exact(2), List.of(event("moved-on"))).block(TIMEOUT);

        // bad input fails at call time, before it could join a commit
        assertThrows(IllegalArgumentException.class, () -> store.append(s1, ExpectedVersion.any(), List.of()));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("bad", "{not json"));

        EventData s3Event = event("s3.opened");
        CompletableFuture<AppendResult> gatePassed;
        List<CompletableFuture<?>> answers = new ArrayList<>();
        CompletableFuture<AppendResult> firstOfS1;
        CompletableFuture<AppendResult> conflicting;
        CompletableFuture<AppendResult> secondOfS1;
        CompletableFuture<AppendResult> duplicate;
        CompletableFuture<AppendResult> retry;
        CompletableFuture<List<AppendResult>> checkedAndWritten;
        CompletableFuture<List<AppendResult>> halfConflicting;
        try (RawSession gate = new RawSession()) {
            gatePassed = closeGate(gate, store);
            firstOfS1 = store.append(s1, ExpectedVersion.noStream(), List.of(event("s1.opened"))).toFuture();
            conflicting = store.append(s1, ExpectedVersion.exact(5), List.of(event("s1.stale"))).toFuture();
            secondOfS1 = store.append(s1, ExpectedVersion.exact(1), List.of(event("s1.deposited"), event("s1.again"))).toFuture();
            duplicate = store.append(s2, ExpectedVersion.noStream(), List.of(event("s2.opened"), earlierBatch.get(1))).toFuture();
            retry = store.append(earlier, ExpectedVersion.noStream(), earlierBatch).toFuture();
            checkedAndWritten = store.appendAll(List.of(StreamAppend.check(s1, ExpectedVersion.exact(3)),
                    StreamAppend.of(s3, ExpectedVersion.noStream(), List.of(s3Event)))).toFuture();
            halfConflicting = store.appendAll(List.of(StreamAppend.of(s2, ExpectedVersion.noStream(), List.of(event("s2.half"))),
                    StreamAppend.of(s3, ExpectedVersion.noStream(), List.of(event("s3.twice"))))).toFuture();
            answers.addAll(List.of(firstOfS1, conflicting, secondOfS1, duplicate, retry, checkedAndWritten, halfConflicting));
            // nothing answers before the commit
            assertTrue(answers.stream().noneMatch(CompletableFuture::isDone));
            gate.rollback();
        }
        assertEquals(1, result(gatePassed).toVersion());

        AppendResult s1First = result(firstOfS1);
        assertEquals(new AppendResult(s1, 0, 1, s1First.position()), s1First);
        ConcurrencyConflictException conflict = assertInstanceOf(ConcurrencyConflictException.class, failure(conflicting));
        assertEquals(3, conflict.actualVersion(),
                "the version as the commit left the stream: a later append of the batch moved it on, and a retry at 1 would conflict again");
        AppendResult s1Second = result(secondOfS1);
        assertEquals(new AppendResult(s1, 1, 3, s1Second.position()), s1Second);
        assertEquals(earlierBatch.get(1).eventId(), assertInstanceOf(DuplicateEventException.class, failure(duplicate)).eventId());
        assertEquals(earlierResult, result(retry), "the retry of a stored append answers its original result");
        List<AppendResult> mixed = result(checkedAndWritten);
        assertEquals(new AppendResult(s1, 3, 3, s1Second.position()), mixed.get(0), "a check reports the stream's last event");
        assertEquals(new AppendResult(s3, 0, 1, mixed.get(1).position()), mixed.get(1));
        ConcurrencyConflictException half = assertInstanceOf(ConcurrencyConflictException.class, failure(halfConflicting));
        assertEquals(s3, half.streamId());

        // one commit carried every accepted append of the queue
        Set<Long> commits = new java.util.HashSet<>(List.of(s1First.position().commit(), s1Second.position().commit(), mixed.get(1).position().commit()));
        assertEquals(1, commits.size(), "queued appends shared one commit: " + commits);
        assertEquals(3L, store.streamVersion(s1).block(TIMEOUT));
        assertEquals(Boolean.FALSE, store.streamVersion(s2).hasElement().block(TIMEOUT), "nothing of the duplicate or the half conflict");
        assertEquals(List.of(s3Event.eventId()), store.readStream(s3).map(RecordedEvent::eventId).collectList().block(TIMEOUT));
        List<RecordedEvent> s1Events = store.readStream(s1).collectList().block(TIMEOUT);
        assertEquals(List.of(1L, 2L, 3L), s1Events.stream().map(RecordedEvent::streamVersion).toList());
        assertEquals(List.of("s1.opened", "s1.deposited", "s1.again"), s1Events.stream().map(RecordedEvent::type).toList());
    }

    @Test
    void aCommitOfAppendsToDistinctStreamsAnswersEachOnItsOwn() throws Exception {
        // each append one stream, each stream once: the function decides them all in one statement
        PostgresEventStore store = oneLane(o -> o);
        StreamId fresh = StreamId.of("acct", "fresh");
        StreamId stale = StreamId.of("acct", "stale");
        StreamId retried = StreamId.of("acct", "retried");
        StreamId reusing = StreamId.of("acct", "reusing");
        StreamId any = StreamId.of("acct", "any");
        store.append(stale, ExpectedVersion.noStream(), List.of(event("opened"), event("moved"))).block(TIMEOUT);
        List<EventData> original = List.of(event("original.1"), event("original.2"));
        AppendResult originalResult = store.append(retried, ExpectedVersion.noStream(), original).block(TIMEOUT);
        store.append(retried, ExpectedVersion.exact(2), List.of(event("after"))).block(TIMEOUT);
        CompletableFuture<AppendResult> ok;
        CompletableFuture<AppendResult> conflict;
        CompletableFuture<AppendResult> retry;
        CompletableFuture<AppendResult> duplicate;
        CompletableFuture<AppendResult> anyVersion;
        try (RawSession gate = new RawSession()) {
            CompletableFuture<AppendResult> gatePassed = closeGate(gate, store);
            ok = store.append(fresh, ExpectedVersion.noStream(), List.of(event("fresh.1"), event("fresh.2"))).toFuture();
            conflict = store.append(stale, ExpectedVersion.exact(1), List.of(event("stale"))).toFuture();
            retry = store.append(retried, ExpectedVersion.noStream(), original).toFuture();
            duplicate = store.append(reusing, ExpectedVersion.any(), List.of(original.get(0))).toFuture();
            anyVersion = store.append(any, ExpectedVersion.any(), List.of(event("any"))).toFuture();
            gate.rollback();
            result(gatePassed);
        }
        AppendResult written = result(ok);
        assertEquals(new AppendResult(fresh, 0, 2, written.position()), written);
        assertEquals(2, assertInstanceOf(ConcurrencyConflictException.class, failure(conflict)).actualVersion());
        assertEquals(originalResult, result(retry));
        assertEquals(original.get(0).eventId(), assertInstanceOf(DuplicateEventException.class, failure(duplicate)).eventId());
        AppendResult anyResult = result(anyVersion);
        assertEquals(new AppendResult(any, 0, 1, anyResult.position()), anyResult);
        assertEquals(written.position().commit(), anyResult.position().commit(), "one commit");
        assertEquals(List.of(1L, 2L), store.readStream(fresh).map(RecordedEvent::streamVersion).collectList().block(TIMEOUT));
        assertEquals(2L, store.streamVersion(stale).block(TIMEOUT));
        assertEquals(3L, store.streamVersion(retried).block(TIMEOUT));
        assertEquals(Boolean.FALSE, store.streamVersion(reusing).hasElement().block(TIMEOUT));
    }

    @Test
    void aValueTheDatabaseRefusesFailsOnlyItsOwnAppendOfTheCommit() throws Exception {
        PostgresEventStore store = oneLane(o -> o);
        // a stream id too long for its index: PostgreSQL refuses it (54000) and the whole statement
        // fails, so the lane reruns the commit's appends one by one
        StreamId tooLong = StreamId.of("acct", new java.util.Random(7).ints(10_000, 33, 127)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString().replace("-", "_"));
        EventData refused = event("refused");
        List<EventData> before = List.of(event("before"));
        List<EventData> after = List.of(event("after"));
        CompletableFuture<AppendResult> first;
        CompletableFuture<AppendResult> culprit;
        CompletableFuture<AppendResult> last;
        try (RawSession gate = new RawSession()) {
            CompletableFuture<AppendResult> gatePassed = closeGate(gate, store);
            first = store.append(StreamId.of("acct", "a"), ExpectedVersion.noStream(), before).toFuture();
            culprit = store.append(tooLong, ExpectedVersion.noStream(), List.of(refused)).toFuture();
            last = store.append(StreamId.of("acct", "c"), ExpectedVersion.noStream(), after).toFuture();
            gate.rollback();
            result(gatePassed);
        }
        assertEquals(1, result(first).toVersion());
        assertEquals(1, result(last).toVersion());
        assertInstanceOf(IllegalArgumentException.class, failure(culprit));
        assertEquals(0, stored(List.of(refused)));
    }

    @Test
    void aLoneAppendGetsEveryOutcomeFromOneStatement() throws Exception {
        CountingConnectionFactory counting = new CountingConnectionFactory(PostgresTestDatabase.connectionFactory());
        on = PgTestSupport.newStore(counting, options -> options.writeLanes(1));
        PostgresEventStore store = on.store;
        StreamId a = StreamId.of("acct", "lone-a");
        StreamId missing = StreamId.of("acct", "lone-missing");
        List<EventData> first = List.of(event("a1"));
        List<EventData> second = List.of(event("a2"), event("a3"));
        long before = counting.count(sql -> sql.contains("append_one"));
        long batchCalls = counting.count(sql -> sql.contains("append_batch")); // the migration's

        AppendResult created = store.append(a, ExpectedVersion.noStream(), first).block(TIMEOUT);
        assertEquals(List.of(0L, 1L), List.of(created.fromVersion(), created.toVersion()));
        AppendResult extended = store.append(a, ExpectedVersion.exact(1), second).block(TIMEOUT);
        assertEquals(List.of(1L, 3L), List.of(extended.fromVersion(), extended.toVersion()));
        ConcurrencyConflictException stale = assertInstanceOf(ConcurrencyConflictException.class,
                PgTestSupport.errorOf(store.append(a, ExpectedVersion.exact(1), List.of(event("stale")))));
        assertEquals(3, stale.actualVersion());
        assertEquals(4, store.append(a, ExpectedVersion.any(), List.of(event("any"))).block(TIMEOUT).toVersion());
        assertEquals(5, store.append(a, ExpectedVersion.streamExists(), List.of(event("exists"))).block(TIMEOUT).toVersion());
        assertEquals(0, assertInstanceOf(ConcurrencyConflictException.class,
                PgTestSupport.errorOf(store.append(missing, ExpectedVersion.streamExists(), List.of(event("nothing"))))).actualVersion());
        assertEquals(5, assertInstanceOf(ConcurrencyConflictException.class,
                PgTestSupport.errorOf(store.append(a, ExpectedVersion.noStream(), List.of(event("again"))))).actualVersion());
        AppendResult retried = store.append(a, ExpectedVersion.exact(1), second).block(TIMEOUT);
        assertEquals(extended, retried, "the retry of a stored append answers the original result");
        assertInstanceOf(DuplicateEventException.class,
                PgTestSupport.errorOf(store.append(missing, ExpectedVersion.any(), List.of(first.get(0), event("new")))));
        assertEquals(1, store.append(missing, ExpectedVersion.exact(0), List.of(event("m1"))).block(TIMEOUT).toVersion());

        assertEquals(10, counting.count(sql -> sql.contains("append_one")) - before, "one statement per append");
        assertEquals(batchCalls, counting.count(sql -> sql.contains("append_batch")), "the function answered every outcome itself");
        assertEquals(List.of("a1", "a2", "a3", "any", "exists"),
                store.readStream(a).map(RecordedEvent::type).collectList().block(TIMEOUT));
        assertEquals(List.of("m1"), store.readStream(missing).map(RecordedEvent::type).collectList().block(TIMEOUT));
    }

    @Test
    void writersThatRetryConflictsAtTheReportedVersionTakeTurnsOnASharedStream() {
        PostgresEventStore store = oneLane(o -> o);
        StreamId shared = StreamId.of("acct", "shared");
        int writers = 4;
        int eachWants = 15;
        // each writer appends eachWants times at exact versions, retrying a conflict at once at the
        // version it reports, with the same ids; none may starve behind the others' next appends
        List<List<UUID>> written = reactor.core.publisher.Flux.range(0, writers)
                .flatMap(w -> {
                    long[] version = {0};
                    return reactor.core.publisher.Flux.range(0, eachWants).concatMap(i -> {
                        List<EventData> events = List.of(event("w" + w + "." + i));
                        return reactor.core.publisher.Mono.defer(() -> store.append(shared, ExpectedVersion.exact(version[0]), events))
                                .retryWhen(reactor.util.retry.Retry.indefinitely()
                                        .filter(ConcurrencyConflictException.class::isInstance)
                                        .doBeforeRetry(signal -> version[0] = ((ConcurrencyConflictException) signal.failure()).actualVersion()))
                                .doOnNext(result -> version[0] = result.toVersion())
                                .thenReturn(events.get(0).eventId());
                    }).collectList();
                }, writers)
                .collectList()
                .block(Duration.ofSeconds(60));
        List<RecordedEvent> log = store.readStream(shared).collectList().block(TIMEOUT);
        assertEquals(writers * eachWants, log.size());
        assertEquals(IntStream.rangeClosed(1, writers * eachWants).asLongStream().boxed().toList(),
                log.stream().map(RecordedEvent::streamVersion).toList());
        for (int w = 0; w < writers; w++) {
            String prefix = "w" + w + ".";
            int firstTurn = IntStream.range(0, log.size()).filter(i -> log.get(i).type().startsWith(prefix)).findFirst().orElseThrow();
            assertTrue(firstTurn < 2 * writers, "writer " + w + " got its first turn only at version " + (firstTurn + 1)
                    + ": " + log.stream().map(RecordedEvent::type).toList());
        }
        Set<UUID> stored = log.stream().map(RecordedEvent::eventId).collect(Collectors.toSet());
        written.forEach(ids -> assertTrue(stored.containsAll(ids), "every acknowledged append stored once"));
        assertEquals(writers * eachWants, stored.size());
    }

    @Test
    void aQueuedAppendThatIsCancelledIsDropped() throws Exception {
        PostgresEventStore store = oneLane(o -> o);
        List<EventData> kept1 = List.of(event("kept1"));
        List<EventData> dropped = List.of(event("dropped"));
        List<EventData> kept2 = List.of(event("kept2"));
        CompletableFuture<AppendResult> first;
        CompletableFuture<AppendResult> third;
        try (RawSession gate = new RawSession()) {
            CompletableFuture<AppendResult> gatePassed = closeGate(gate, store);
            first = store.append(StreamId.of("acct", "a"), ExpectedVersion.any(), kept1).toFuture();
            Disposable second = store.append(StreamId.of("acct", "b"), ExpectedVersion.any(), dropped).subscribe();
            third = store.append(StreamId.of("acct", "c"), ExpectedVersion.any(), kept2).toFuture();
            second.dispose();
            gate.rollback();
            result(gatePassed);
        }
        result(first);
        result(third);
        assertEquals(0, stored(dropped), "the cancelled append was never sent");
        assertEquals(2, stored(List.of(kept1.get(0), kept2.get(0))));
    }

    @Test
    void aFullQueueMakesAppendsWaitAndKeepsTheirOrder() throws Exception {
        PostgresEventStore store = oneLane(o -> o.maxQueuedAppends(2).batchBounds(2, 1 << 20, 16));
        StreamId stream = StreamId.of("acct", "queued");
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        try (RawSession gate = new RawSession()) {
            CompletableFuture<AppendResult> gatePassed = closeGate(gate, store);
            for (int v = 0; v < 9; v++) {
                appends.add(store.append(stream, ExpectedVersion.exact(v), List.of(event("n" + v))).toFuture());
            }
            gate.rollback();
            result(gatePassed);
        }
        for (int v = 0; v < 9; v++) {
            assertEquals(v + 1, result(appends.get(v)).toVersion(), "append " + v + " in arrival order");
        }
        assertTrue(appends.stream().map(f -> f.join().position().commit()).distinct().count() >= 5,
                "at most two appends per commit");
    }

    @Test
    void closingFailsQueuedAppendsAtOnceAndRefusesNewOnes() throws Exception {
        PostgresEventStore store = oneLane(o -> o);
        List<EventData> queued = List.of(event("queued"));
        CompletableFuture<AppendResult> queuedAppend;
        CompletableFuture<Void> closed;
        try (RawSession gate = new RawSession()) {
            CompletableFuture<AppendResult> gatePassed = closeGate(gate, store);
            queuedAppend = store.append(StreamId.of("acct", "q"), ExpectedVersion.any(), queued).toFuture();
            closed = store.close().toFuture();
            assertInstanceOf(StoreUnavailableException.class, failure(queuedAppend), "failed before the commit in flight ended");
            assertTrue(!closed.isDone(), "close waits for the commit in flight");
            gate.rollback();
            assertEquals(1, result(gatePassed).toVersion(), "the commit in flight ends normally");
        }
        result(closed);
        assertEquals(0, stored(queued));
        Throwable refused = PgTestSupport.errorOf(store.append(StreamId.of("acct", "late"), ExpectedVersion.any(), List.of(event("late"))));
        assertInstanceOf(StoreUnavailableException.class, refused);
    }

    @Test
    void aCommitThatDoesNotAnswerAndAppendsNotSentInTimeFailOnTheVirtualClock() throws Exception {
        VirtualTimeScheduler clock = VirtualTimeScheduler.create();
        String schema = PostgresTestDatabase.newSchema();
        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 4).writeLanes(1)
                        .appendTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(3)).build())
                .timer(clock)
                .build();
        store.migrate().block(TIMEOUT);
        on = PgTestSupport.StoreOnSchema.of(schema, store);
        List<EventData> slow = List.of(event("slow"));
        List<EventData> late = List.of(event("late"));
        try (RawSession gate = new RawSession()) {
            gate.holdStreamLock(schema, GATE);
            CompletableFuture<AppendResult> inFlight = store.append(GATE, ExpectedVersion.any(), slow).toFuture();
            PgTestSupport.awaitCommitWaitingForStreamLock(schema);
            CompletableFuture<AppendResult> queued = store.append(StreamId.of("acct", "late"), ExpectedVersion.any(), late).toFuture();
            clock.advanceTimeBy(Duration.ofSeconds(9));
            assertTrue(!inFlight.isDone() && !queued.isDone());
            clock.advanceTimeBy(Duration.ofSeconds(1));
            Throwable abandoned = failure(inFlight);
            assertInstanceOf(StoreUnavailableException.class, abandoned);
            assertTrue(abandoned.getMessage().contains("did not answer in time"), abandoned.getMessage());
            Throwable unsent = failure(queued);
            assertInstanceOf(StoreUnavailableException.class, unsent);
            assertTrue(unsent.getMessage().contains("not sent within"), unsent.getMessage());
            gate.rollback();
        }
        assertEquals(0, stored(late), "an append that was never sent stored nothing");
        // the abandoned commit's outcome was unknown: a retry with the same ids stores it exactly once
        AppendResult retried = store.append(GATE, ExpectedVersion.any(), slow).block(TIMEOUT);
        assertEquals(1, retried.toVersion());
        assertEquals(1, stored(slow));
        assertEquals(1L, store.streamVersion(GATE).block(TIMEOUT));
    }

    @Test
    void aLaneKilledMidCommitLeavesEachAppendStoredOnceOrFailedAndItsRetryStoresItExactlyOnce() throws Exception {
        PostgresEventStore store = oneLane(o -> o);
        List<StreamAppend> batch = IntStream.range(0, 6)
                .mapToObj(i -> StreamAppend.of(i % 2 == 0 ? GATE : StreamId.of("acct", Integer.toString(i)), ExpectedVersion.any(),
                        List.of(event("e" + i + "a"), event("e" + i + "b"))))
                .collect(Collectors.toList());
        List<CompletableFuture<AppendResult>> first = new ArrayList<>();
        try (RawSession gate = new RawSession()) {
            gate.holdStreamLock(on.schema, GATE);
            for (StreamAppend append : batch) {
                first.add(store.append(append.streamId(), append.expected(), append.events()).toFuture());
            }
            // the first commit waits for the gate; kill it, then the second (the rest of the queue) too
            PgTestSupport.terminate(PgTestSupport.awaitCommitWaitingForStreamLock(on.schema));
            PgTestSupport.terminate(PgTestSupport.awaitCommitWaitingForStreamLock(on.schema));
            gate.rollback();
        }
        for (CompletableFuture<AppendResult> append : first) {
            assertInstanceOf(StoreUnavailableException.class, failure(append));
        }
        // every append is retried with its own ids until answered: each stored exactly once
        for (StreamAppend append : batch) {
            store.append(append.streamId(), append.expected(), append.events()).block(TIMEOUT);
            assertEquals(2, stored(append.events()), "stored exactly once: " + append.streamId());
        }
        List<RecordedEvent> gateEvents = store.readStream(GATE).collectList().block(TIMEOUT);
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), gateEvents.stream().map(RecordedEvent::streamVersion).toList());
        List<UUID> all = on.loadAll().stream().map(RecordedEvent::eventId).toList();
        assertEquals(12, all.size());
        assertEquals(12, Set.copyOf(all).size(), "no event twice");
    }
}
