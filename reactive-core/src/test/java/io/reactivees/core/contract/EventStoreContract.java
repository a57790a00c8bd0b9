package io.reactivees.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The behaviour every {@link EventStore} must have. A store module extends this class and returns
 * a fresh, empty store from {@link #createStore()}; every test then runs against it. Nothing here is
 * ever skipped, and {@code EventStoreContractGuardTest} proves the suite fails against a store that
 * does nothing.
 *
 * <p>Payloads are compared as JSON values, since a store may normalise whitespace and key order
 * (PostgreSQL's {@code jsonb} does).
 */
public abstract class EventStoreContract {

    /** How long any single verification may take. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** The store under test, fresh for every test. */
    protected EventStore store;

    /** Returns a new, empty store. Called before every test. */
    protected abstract EventStore createStore();

    /** Releases a store made by {@link #createStore()}. Called after every test; does nothing by default. */
    protected void disposeStore(EventStore store) {}

    @BeforeEach
    void createFreshStore() {
        store = createStore();
    }

    @AfterEach
    void disposeFreshStore() {
        disposeStore(store);
    }

    // ---------------------------------------------------------------- helpers

    /** A stream id no other test uses, in the given category. */
    protected static StreamId newStream(String category) {
        return StreamId.of(category, UUID.randomUUID().toString());
    }

    /** An event of the given type whose payload is {@code {"n": n}}. */
    protected static EventData event(String type, int n) {
        return EventData.of(type, "{\"n\":" + n + "}");
    }

    /** {@code count} events of the given type, numbered from 1. */
    protected static List<EventData> events(String type, int count) {
        return IntStream.rangeClosed(1, count).mapToObj(n -> event(type, n)).collect(Collectors.toList());
    }

    protected AppendResult append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        return store.append(stream, expected, events).block(TIMEOUT);
    }

    protected List<RecordedEvent> loadAll(EventQuery query) {
        return store.load(query).collectList().block(TIMEOUT);
    }

    protected List<RecordedEvent> readAll(StreamId stream, ReadOptions options) {
        return store.readStream(stream, options).collectList().block(TIMEOUT);
    }

    protected static List<UUID> ids(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::eventId).collect(Collectors.toList());
    }

    protected static List<UUID> dataIds(List<EventData> events) {
        return events.stream().map(EventData::eventId).collect(Collectors.toList());
    }

    protected static List<Long> versions(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::streamVersion).collect(Collectors.toList());
    }

    protected static void assertSameJson(byte[] expected, byte[] actual) {
        JsonNode want = JSON.readTree(expected);
        JsonNode got = JSON.readTree(actual);
        assertEquals(want, got, () -> "JSON differs: expected " + new String(expected, StandardCharsets.UTF_8)
                + " but was " + new String(actual, StandardCharsets.UTF_8));
    }

    protected static void assertInGlobalOrder(List<RecordedEvent> events) {
        for (int i = 1; i < events.size(); i++) {
            Position before = events.get(i - 1).position();
            Position after = events.get(i).position();
            assertTrue(after.isAfter(before), "position " + after + " at index " + i + " does not follow " + before);
        }
    }

    protected static void assertConflict(Throwable error, StreamId stream, ExpectedVersion expected, long actual) {
        ConcurrencyConflictException conflict = assertInstanceOf(ConcurrencyConflictException.class, error);
        assertEquals(stream, conflict.streamId());
        assertEquals(expected, conflict.expected());
        assertEquals(actual, conflict.actualVersion());
    }

    // ---------------------------------------------------------------- append

    @Nested
    @DisplayName("append and expected versions")
    class AppendAndExpectedVersions {

        @Test
        void noStreamCreatesTheStreamAtVersionsFromOne() {
            StreamId stream = newStream("order");
            store.append(stream, ExpectedVersion.noStream(), events("order.placed", 2))
                    .as(StepVerifier::create)
                    .assertNext(result -> {
                        assertEquals(stream, result.streamId());
                        assertEquals(0, result.fromVersion());
                        assertEquals(2, result.toVersion());
                        assertTrue(result.position().isAfter(Position.START));
                    })
                    .expectComplete().verify(TIMEOUT);
            assertEquals(2L, store.streamVersion(stream).block(TIMEOUT));
            assertEquals(List.of(1L, 2L), versions(readAll(stream, ReadOptions.forwards())));
        }

        @Test
        void recordedEventsKeepEverythingAppended() {
            StreamId stream = newStream("order");
            EventData placed = new EventData(UUID.randomUUID(), "order.placed",
                    "{\"sku\": \"abc\", \"qty\": 3, \"tags\": [\"x\", \"y\"]}".getBytes(StandardCharsets.UTF_8),
                    "{\"correlationId\": \"c-1\"}".getBytes(StandardCharsets.UTF_8));
            AppendResult result = append(stream, ExpectedVersion.any(), List.of(placed));
            RecordedEvent recorded = readAll(stream, ReadOptions.forwards()).get(0);
            assertEquals(placed.eventId(), recorded.eventId());
            assertEquals(stream, recorded.streamId());
            assertEquals(1, recorded.streamVersion());
            assertEquals("order.placed", recorded.type());
            assertEquals(result.position(), recorded.position());
            assertSameJson(placed.data(), recorded.data());
            assertSameJson(placed.metadata(), recorded.metadata());
            assertNotNull(recorded.recordedAt());
        }

        @Test
        void anyNeverConflicts() {
            StreamId stream = newStream("order");
            assertEquals(1, append(stream, ExpectedVersion.any(), events("a", 1)).toVersion());
            assertEquals(3, append(stream, ExpectedVersion.any(), events("a", 2)).toVersion());
        }

        @Test
        void noStreamConflictsWhenTheStreamExists() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 2));
            store.append(stream, ExpectedVersion.noStream(), events("b", 1))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, stream, ExpectedVersion.noStream(), 2))
                    .verify(TIMEOUT);
            assertEquals(List.of("a", "a"), readAll(stream, ReadOptions.forwards()).stream().map(RecordedEvent::type).toList());
        }

        @Test
        void streamExistsConflictsWhenTheStreamDoesNotExist() {
            StreamId stream = newStream("order");
            store.append(stream, ExpectedVersion.streamExists(), events("a", 1))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, stream, ExpectedVersion.streamExists(), 0))
                    .verify(TIMEOUT);
            assertEquals(null, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void streamExistsAppendsToAnExistingStream() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 1));
            AppendResult result = append(stream, ExpectedVersion.streamExists(), events("b", 2));
            assertEquals(1, result.fromVersion());
            assertEquals(3, result.toVersion());
        }

        @Test
        void exactAppendsAtThatVersion() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.exact(0), events("a", 2));
            AppendResult result = append(stream, ExpectedVersion.exact(2), events("b", 1));
            assertEquals(2, result.fromVersion());
            assertEquals(3, result.toVersion());
        }

        @Test
        void staleExactConflictsWithTheActualVersionAndStoresNothing() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 3));
            store.append(stream, ExpectedVersion.exact(1), events("b", 2))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, stream, ExpectedVersion.exact(1), 3))
                    .verify(TIMEOUT);
            assertEquals(3L, store.streamVersion(stream).block(TIMEOUT));
            assertEquals(3, loadAll(EventQuery.all()).size());
        }

        @Test
        void exactAheadOfTheStreamConflicts() {
            StreamId stream = newStream("order");
            store.append(stream, ExpectedVersion.exact(5), events("a", 1))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, stream, ExpectedVersion.exact(5), 0))
                    .verify(TIMEOUT);
            assertTrue(loadAll(EventQuery.all()).isEmpty());
        }

        @Test
        void successiveAppendsGetConsecutiveVersionsAndAscendingPositions() {
            StreamId stream = newStream("order");
            AppendResult first = append(stream, ExpectedVersion.noStream(), events("a", 2));
            AppendResult second = append(stream, ExpectedVersion.exact(2), events("a", 2));
            assertTrue(second.position().isAfter(first.position()));
            List<RecordedEvent> read = readAll(stream, ReadOptions.forwards());
            assertEquals(List.of(1L, 2L, 3L, 4L), versions(read));
            assertInGlobalOrder(read);
            assertEquals(read.get(1).position(), first.position());
            assertEquals(read.get(3).position(), second.position());
        }

        @Test
        void streamVersionIsEmptyForAStreamThatDoesNotExist() {
            StreamId existing = newStream("order");
            append(existing, ExpectedVersion.noStream(), events("a", 1));
            store.streamVersion(newStream("order")).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.streamVersion(existing).as(StepVerifier::create).expectNext(1L).expectComplete().verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- idempotency

    @Nested
    @DisplayName("idempotent retry")
    class IdempotentRetry {

        @Test
        void retryAfterTheStreamMovedOnAnswersTheOriginalResultAndStoresNothing() {
            StreamId stream = newStream("order");
            List<EventData> batch = events("a", 2);
            AppendResult original = append(stream, ExpectedVersion.noStream(), batch);
            append(stream, ExpectedVersion.exact(2), events("b", 1));

            AppendResult retried = append(stream, ExpectedVersion.noStream(), batch);

            assertEquals(original, retried);
            assertEquals(3L, store.streamVersion(stream).block(TIMEOUT));
            assertEquals(3, loadAll(EventQuery.all()).size());
        }

        @Test
        void retryWithExactVersionAnswersTheOriginalResult() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 1));
            List<EventData> batch = events("b", 3);
            AppendResult original = append(stream, ExpectedVersion.exact(1), batch);
            assertEquals(original, append(stream, ExpectedVersion.exact(1), batch));
            assertEquals(4, loadAll(EventQuery.all()).size());
        }

        @Test
        void retryWithAnyAnswersTheOriginalResult() {
            StreamId stream = newStream("order");
            List<EventData> batch = events("a", 2);
            AppendResult original = append(stream, ExpectedVersion.any(), batch);
            append(stream, ExpectedVersion.any(), events("b", 2));
            assertEquals(original, append(stream, ExpectedVersion.any(), batch));
            assertEquals(4L, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void resubscribingToAnAppendIsARetry() {
            StreamId stream = newStream("order");
            Mono<AppendResult> append = store.append(stream, ExpectedVersion.noStream(), events("a", 2));
            AppendResult first = append.block(TIMEOUT);
            AppendResult second = append.block(TIMEOUT);
            assertEquals(first, second);
            assertEquals(2, loadAll(EventQuery.all()).size());
        }

        @Test
        void retryOfAnAppendAllAnswersTheOriginalResults() {
            StreamId a = newStream("order");
            StreamId b = newStream("stock");
            List<StreamAppend> commit = List.of(
                    StreamAppend.of(a, ExpectedVersion.noStream(), events("a", 2)),
                    StreamAppend.of(b, ExpectedVersion.noStream(), events("b", 1)));
            List<AppendResult> original = store.appendAll(commit).block(TIMEOUT);
            append(a, ExpectedVersion.exact(2), events("c", 1));
            assertEquals(original, store.appendAll(commit).block(TIMEOUT));
            assertEquals(4, loadAll(EventQuery.all()).size());
        }
    }

    // ---------------------------------------------------------------- duplicates

    @Nested
    @DisplayName("duplicate event ids")
    class DuplicateIds {

        @Test
        void anIdStoredInAnotherStreamIsADuplicate() {
            StreamId first = newStream("order");
            StreamId second = newStream("order");
            EventData event = event("a", 1);
            append(first, ExpectedVersion.noStream(), List.of(event));
            store.append(second, ExpectedVersion.noStream(), List.of(event))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> {
                        DuplicateEventException duplicate = assertInstanceOf(DuplicateEventException.class, e);
                        assertEquals(event.eventId(), duplicate.eventId());
                    })
                    .verify(TIMEOUT);
            store.streamVersion(second).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void anIdStoredInTheSameStreamAtAnotherVersionIsADuplicate() {
            StreamId stream = newStream("order");
            EventData event = event("a", 1);
            append(stream, ExpectedVersion.noStream(), List.of(event));
            store.append(stream, ExpectedVersion.exact(1), List.of(event))
                    .as(StepVerifier::create)
                    .expectError(DuplicateEventException.class)
                    .verify(TIMEOUT);
            assertEquals(1L, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void aBatchPartlyStoredIsADuplicateAndStoresNothing() {
            StreamId stream = newStream("order");
            EventData stored = event("a", 1);
            append(stream, ExpectedVersion.noStream(), List.of(stored));
            EventData fresh = event("b", 2);
            store.append(stream, ExpectedVersion.any(), List.of(fresh, stored))
                    .as(StepVerifier::create)
                    .expectError(DuplicateEventException.class)
                    .verify(TIMEOUT);
            assertEquals(List.of(stored.eventId()), ids(loadAll(EventQuery.all())));
        }

        @Test
        void aRetryWithTheEventsReorderedIsADuplicate() {
            StreamId stream = newStream("order");
            List<EventData> batch = events("a", 2);
            append(stream, ExpectedVersion.noStream(), batch);
            store.append(stream, ExpectedVersion.noStream(), List.of(batch.get(1), batch.get(0)))
                    .as(StepVerifier::create)
                    .expectError(DuplicateEventException.class)
                    .verify(TIMEOUT);
            assertEquals(2, loadAll(EventQuery.all()).size());
        }

        @Test
        void aDuplicateInOneEntryOfAnAppendAllStoresNothingOfAnyEntry() {
            StreamId a = newStream("order");
            StreamId b = newStream("order");
            EventData stored = event("a", 1);
            append(a, ExpectedVersion.noStream(), List.of(stored));
            store.appendAll(List.of(
                            StreamAppend.of(a, ExpectedVersion.exact(1), events("x", 2)),
                            StreamAppend.of(b, ExpectedVersion.noStream(), List.of(stored))))
                    .as(StepVerifier::create)
                    .expectError(DuplicateEventException.class)
                    .verify(TIMEOUT);
            assertEquals(1, loadAll(EventQuery.all()).size());
        }
    }

    // ---------------------------------------------------------------- appendAll

    @Nested
    @DisplayName("multi-stream append")
    class MultiStreamAppend {

        @Test
        void writesEveryEntryAndAnswersInTheOrderGiven() {
            StreamId a = newStream("account");
            StreamId b = newStream("account");
            append(b, ExpectedVersion.noStream(), events("opened", 1));
            List<AppendResult> results = store.appendAll(List.of(
                            StreamAppend.of(a, ExpectedVersion.noStream(), events("debited", 2)),
                            StreamAppend.of(b, ExpectedVersion.exact(1), events("credited", 1))))
                    .block(TIMEOUT);
            assertEquals(2, results.size());
            assertEquals(a, results.get(0).streamId());
            assertEquals(0, results.get(0).fromVersion());
            assertEquals(2, results.get(0).toVersion());
            assertEquals(b, results.get(1).streamId());
            assertEquals(1, results.get(1).fromVersion());
            assertEquals(2, results.get(1).toVersion());
            assertEquals(2L, store.streamVersion(a).block(TIMEOUT));
            assertEquals(2L, store.streamVersion(b).block(TIMEOUT));
        }

        @Test
        void oneConflictRollsBackEveryEntry() {
            StreamId a = newStream("account");
            StreamId b = newStream("account");
            append(b, ExpectedVersion.noStream(), events("opened", 2));
            store.appendAll(List.of(
                            StreamAppend.of(a, ExpectedVersion.noStream(), events("debited", 1)),
                            StreamAppend.of(b, ExpectedVersion.exact(1), events("credited", 1))))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, b, ExpectedVersion.exact(1), 2))
                    .verify(TIMEOUT);
            store.streamVersion(a).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertEquals(2, loadAll(EventQuery.all()).size());
        }

        @Test
        void aFailingCheckOnlyEntryRollsBackTheCommit() {
            StreamId written = newStream("order");
            StreamId checked = newStream("customer");
            append(checked, ExpectedVersion.noStream(), events("registered", 1));
            append(checked, ExpectedVersion.exact(1), events("blocked", 1));
            store.appendAll(List.of(
                            StreamAppend.of(written, ExpectedVersion.noStream(), events("placed", 1)),
                            StreamAppend.check(checked, ExpectedVersion.exact(1))))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, checked, ExpectedVersion.exact(1), 2))
                    .verify(TIMEOUT);
            store.streamVersion(written).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void aPassingCheckOnlyEntryWritesNothingToItsStream() {
            StreamId written = newStream("order");
            StreamId checked = newStream("customer");
            AppendResult registered = append(checked, ExpectedVersion.noStream(), events("registered", 1));
            List<AppendResult> results = store.appendAll(List.of(
                            StreamAppend.check(checked, ExpectedVersion.exact(1)),
                            StreamAppend.of(written, ExpectedVersion.noStream(), events("placed", 1))))
                    .block(TIMEOUT);
            assertEquals(new AppendResult(checked, 1, 1, registered.position()), results.get(0));
            assertEquals(1, results.get(1).toVersion());
            assertEquals(1L, store.streamVersion(checked).block(TIMEOUT));
            assertEquals(1L, store.streamVersion(written).block(TIMEOUT));
        }

        @Test
        void aCheckThatAStreamDoesNotExistPasses() {
            StreamId written = newStream("order");
            StreamId checked = newStream("customer");
            List<AppendResult> results = store.appendAll(List.of(
                            StreamAppend.of(written, ExpectedVersion.noStream(), events("placed", 1)),
                            StreamAppend.check(checked, ExpectedVersion.noStream())))
                    .block(TIMEOUT);
            assertEquals(new AppendResult(checked, 0, 0, Position.START), results.get(1));
            store.streamVersion(checked).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void theEventsOfOneCommitFollowEachOtherInEntryOrder() {
            StreamId a = newStream("account");
            StreamId b = newStream("account");
            List<EventData> first = events("debited", 2);
            List<EventData> second = events("credited", 2);
            store.appendAll(List.of(
                            StreamAppend.of(a, ExpectedVersion.any(), first),
                            StreamAppend.of(b, ExpectedVersion.any(), second)))
                    .block(TIMEOUT);
            List<UUID> expected = new ArrayList<>(dataIds(first));
            expected.addAll(dataIds(second));
            List<RecordedEvent> loaded = loadAll(EventQuery.all());
            assertEquals(expected, ids(loaded));
            assertInGlobalOrder(loaded);
        }
    }

    // ---------------------------------------------------------------- readStream

    @Nested
    @DisplayName("read stream")
    class ReadStream {

        private StreamId stream;
        private List<EventData> appended;

        @BeforeEach
        void fiveEvents() {
            stream = newStream("order");
            appended = events("line.added", 5);
            append(newStream("order"), ExpectedVersion.any(), events("other", 2));
            append(stream, ExpectedVersion.noStream(), appended.subList(0, 3));
            append(newStream("order"), ExpectedVersion.any(), events("other", 1));
            append(stream, ExpectedVersion.exact(3), appended.subList(3, 5));
        }

        @Test
        void forwardsReadsOnlyThisStreamInVersionOrder() {
            List<RecordedEvent> read = readAll(stream, ReadOptions.forwards());
            assertEquals(dataIds(appended), ids(read));
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), versions(read));
            assertTrue(read.stream().allMatch(e -> e.streamId().equals(stream)));
        }

        @Test
        void fromVersionIsInclusive() {
            assertEquals(List.of(3L, 4L, 5L), versions(readAll(stream, ReadOptions.forwards().fromVersion(3))));
        }

        @Test
        void limitCapsTheCount() {
            assertEquals(List.of(2L, 3L), versions(readAll(stream, ReadOptions.forwards().fromVersion(2).limit(2))));
        }

        @Test
        void backwardsReadsFromTheEnd() {
            assertEquals(List.of(5L, 4L, 3L, 2L, 1L), versions(readAll(stream, ReadOptions.backwards())));
        }

        @Test
        void backwardsFromAVersionWithALimit() {
            assertEquals(List.of(4L, 3L), versions(readAll(stream, ReadOptions.backwards().fromVersion(4).limit(2))));
        }

        @Test
        void theLastEventIsBackwardsWithLimitOne() {
            assertEquals(List.of(5L), versions(readAll(stream, ReadOptions.backwards().limit(1))));
        }

        @Test
        void fromBeyondTheEndIsEmpty() {
            assertTrue(readAll(stream, ReadOptions.forwards().fromVersion(6)).isEmpty());
            assertEquals(List.of(5L), versions(readAll(stream, ReadOptions.forwards().fromVersion(5))));
        }

        @Test
        void aStreamThatDoesNotExistIsEmpty() {
            store.readStream(newStream("order")).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertEquals(5, readAll(stream, ReadOptions.forwards()).size());
        }
    }

    // ---------------------------------------------------------------- load

    @Nested
    @DisplayName("read an event by id")
    class ReadEvent {

        @Test
        void anAppendedEventIsReadByItsIdAsReadStreamReturnsIt() {
            StreamId stream = newStream("order");
            List<EventData> appended = events("placed", 3);
            append(stream, ExpectedVersion.noStream(), appended);
            List<RecordedEvent> inStream = readAll(stream, ReadOptions.forwards());
            for (int i = 0; i < appended.size(); i++) {
                RecordedEvent byId = store.readEvent(appended.get(i).eventId()).block(TIMEOUT);
                assertNotNull(byId, "event " + i + " is found by its id");
                RecordedEvent expected = inStream.get(i);
                assertEquals(expected.eventId(), byId.eventId());
                assertEquals(stream, byId.streamId());
                assertEquals(i + 1L, byId.streamVersion());
                assertEquals(expected.position(), byId.position());
                assertEquals(expected.type(), byId.type());
                assertSameJson(appended.get(i).data(), byId.data());
                assertSameJson(appended.get(i).metadata(), byId.metadata());
                assertEquals(expected.recordedAt(), byId.recordedAt());
            }
        }

        @Test
        void anIdThatIsNotStoredCompletesEmptyWhileAStoredOneIsFound() {
            StreamId stream = newStream("order");
            EventData stored = event("placed", 1);
            append(stream, ExpectedVersion.noStream(), List.of(stored));
            store.readEvent(UUID.randomUUID()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.readEvent(stored.eventId()).as(StepVerifier::create)
                    .assertNext(e -> assertEquals(stored.eventId(), e.eventId()))
                    .expectComplete()
                    .verify(TIMEOUT);
        }

        @Test
        void theEventsOfARejectedAppendAreNotFound() {
            StreamId stream = newStream("order");
            EventData first = event("placed", 1);
            append(stream, ExpectedVersion.noStream(), List.of(first));
            EventData rejected = event("placed", 2);
            store.append(stream, ExpectedVersion.noStream(), List.of(rejected)).as(StepVerifier::create)
                    .expectError(ConcurrencyConflictException.class)
                    .verify(TIMEOUT);
            store.readEvent(rejected.eventId()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertEquals(1L, store.readEvent(first.eventId()).block(TIMEOUT).streamVersion());
        }

        @Test
        void everyEventOfAMultiStreamCommitIsFoundInItsOwnStream() {
            StreamId a = newStream("order");
            StreamId b = newStream("invoice");
            List<EventData> toA = events("placed", 2);
            List<EventData> toB = events("billed", 1);
            store.appendAll(List.of(StreamAppend.of(a, ExpectedVersion.noStream(), toA),
                    StreamAppend.of(b, ExpectedVersion.noStream(), toB))).block(TIMEOUT);
            RecordedEvent secondOfA = store.readEvent(toA.get(1).eventId()).block(TIMEOUT);
            RecordedEvent firstOfB = store.readEvent(toB.get(0).eventId()).block(TIMEOUT);
            assertEquals(a, secondOfA.streamId());
            assertEquals(2L, secondOfA.streamVersion());
            assertEquals(b, firstOfB.streamId());
            assertEquals(1L, firstOfB.streamVersion());
        }

        @Test
        void aReadReadsWhenSubscribedNotWhenCreated() {
            StreamId stream = newStream("order");
            EventData later = event("placed", 1);
            Mono<RecordedEvent> read = store.readEvent(later.eventId());
            append(stream, ExpectedVersion.noStream(), List.of(later));
            read.as(StepVerifier::create).assertNext(e -> assertEquals(stream, e.streamId())).expectComplete().verify(TIMEOUT);
        }
    }

    @Nested
    @DisplayName("load")
    class Load {

        private StreamId order1;
        private StreamId order2;
        private StreamId customer;

        @BeforeEach
        void interleavedStreams() {
            order1 = newStream("order");
            order2 = newStream("order");
            customer = newStream("customer");
            append(order1, ExpectedVersion.noStream(), List.of(event("order.placed", 1)));
            append(customer, ExpectedVersion.noStream(), List.of(event("customer.registered", 2)));
            append(order2, ExpectedVersion.noStream(), List.of(event("order.placed", 3), event("order.paid", 4)));
            append(order1, ExpectedVersion.exact(1), List.of(event("order.paid", 5)));
            append(customer, ExpectedVersion.exact(1), List.of(event("customer.renamed", 6)));
        }

        private List<Integer> numbers(EventQuery query) {
            return loadAll(query).stream().map(e -> JSON.readTree(e.data()).get("n").asInt()).toList();
        }

        @Test
        void allReadsEveryEventInGlobalOrder() {
            List<RecordedEvent> loaded = loadAll(EventQuery.all());
            assertEquals(List.of(1, 2, 3, 4, 5, 6), numbers(EventQuery.all()));
            assertInGlobalOrder(loaded);
        }

        @Test
        void forTypeReadsThatTypeAcrossStreams() {
            assertEquals(List.of(4, 5), numbers(EventQuery.of(EventFilter.forType("order.paid"))));
        }

        @Test
        void forStreamReadsOneStream() {
            assertEquals(List.of(1, 5), numbers(EventQuery.of(EventFilter.forStream(order1))));
        }

        @Test
        void forCategoryReadsEveryStreamOfIt() {
            assertEquals(List.of(1, 3, 4, 5), numbers(EventQuery.of(EventFilter.forCategory("order"))));
        }

        @Test
        void forTypeInStreamNeedsBoth() {
            assertEquals(List.of(4), numbers(EventQuery.of(EventFilter.forTypeInStream("order.paid", order2))));
        }

        @Test
        void forTypeInCategoryNeedsBoth() {
            assertEquals(List.of(6), numbers(EventQuery.of(EventFilter.forTypeInCategory("customer.renamed", "customer"))));
        }

        @Test
        void filtersAreOredAndAnEventMatchedTwiceComesOnce() {
            EventQuery query = EventQuery.of(
                    EventFilter.forStream(order1),
                    EventFilter.forType("order.placed"),
                    EventFilter.forCategory("customer"));
            assertEquals(List.of(1, 2, 3, 5, 6), numbers(query));
        }

        @Test
        void queryAfterSkipsUpToThePosition() {
            List<RecordedEvent> all = loadAll(EventQuery.all());
            assertEquals(List.of(4, 5, 6), numbers(EventQuery.all().after(all.get(2).position())));
            assertEquals(List.of(), numbers(EventQuery.all().after(all.get(5).position())));
        }

        @Test
        void filterAfterAppliesToThatFilterOnly() {
            List<RecordedEvent> all = loadAll(EventQuery.all());
            EventQuery query = EventQuery.of(
                    EventFilter.forCategory("order").after(all.get(3).position()),
                    EventFilter.forType("customer.registered"));
            assertEquals(List.of(2, 5), numbers(query));
        }

        @Test
        void aQueryMatchingNothingCompletesEmpty() {
            store.load(EventQuery.of(EventFilter.forType("nothing.like.this"))).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertEquals(6, loadAll(EventQuery.all()).size());
        }

        @Test
        void anEmptyStoreLoadsNothing() {
            EventStore empty = createStore();
            try {
                empty.load(EventQuery.all()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
                empty.append(newStream("order"), ExpectedVersion.noStream(), events("a", 1)).block(TIMEOUT);
                empty.load(EventQuery.all()).as(StepVerifier::create).expectNextCount(1).expectComplete().verify(TIMEOUT);
            } finally {
                disposeStore(empty);
            }
        }

        @Test
        void loadReadsMoreThanOnePage() {
            StreamId big = newStream("bulk");
            for (int i = 0; i < 6; i++) {
                append(big, ExpectedVersion.any(), events("bulk.item", 250));
            }
            List<RecordedEvent> loaded = loadAll(EventQuery.of(EventFilter.forStream(big)));
            assertEquals(1500, loaded.size());
            assertEquals(versionRange(1, 1500), versions(loaded));
            assertInGlobalOrder(loaded);
        }
    }

    /** The versions {@code from..to}, inclusive. */
    protected static List<Long> versionRange(long from, long to) {
        List<Long> list = new ArrayList<>();
        for (long v = from; v <= to; v++) {
            list.add(v);
        }
        return list;
    }

    // ---------------------------------------------------------------- dynamic consistency boundary

    /** An event of the given type, payload {@code {"n": n}}, carrying {@code tags}. */
    protected static EventData tagged(String type, int n, String... tags) {
        return event(type, n).withTags(tags);
    }

    private List<Integer> numbersOf(List<RecordedEvent> events) {
        return events.stream().map(e -> JSON.readTree(e.data()).get("n").asInt()).toList();
    }

    private AppendResult appendTagged(StreamId stream, EventData event) {
        return append(stream, ExpectedVersion.any(), List.of(event));
    }

    @Nested
    @DisplayName("tags")
    class TaggedEvents {

        @Test
        void tagsComeBackOnEveryRead() {
            StreamId stream = newStream("seat");
            EventData event = tagged("seat.reserved", 1, "show:7", "seat:12A");
            EventData plain = event("seat.noted", 2);
            append(stream, ExpectedVersion.noStream(), List.of(event, plain));
            Set<String> tags = Set.of("seat:12A", "show:7");

            List<RecordedEvent> read = readAll(stream, ReadOptions.forwards());
            assertEquals(tags, read.get(0).tags());
            assertEquals(Set.of(), read.get(1).tags());
            assertEquals(tags, loadAll(EventQuery.all()).get(0).tags());
            assertEquals(tags, store.readEvent(event.eventId()).block(TIMEOUT).tags());
            assertEquals(tags, store.subscribe(EventQuery.all()).blockFirst(TIMEOUT).tags());
            assertEquals(List.of("seat:12A", "show:7"), List.copyOf(read.get(0).tags()), "tags are kept sorted");
        }

        @Test
        void tagsWithUnicodeAndPunctuationRoundTrip() {
            StreamId stream = newStream("seat");
            Set<String> tags = Set.of("stüdent:ä", "course:{1,2}", "quote:\"x\"", "comma:a,b", "back\\slash", "emoji:\uD83D\uDE00");
            append(stream, ExpectedVersion.noStream(), List.of(event("odd", 1).withTags(tags)));
            assertEquals(tags, readAll(stream, ReadOptions.forwards()).get(0).tags());
            for (String tag : tags) {
                assertEquals(1, loadAll(EventQuery.of(EventFilter.forTags(tag))).size(), tag);
            }
        }
    }

    @Nested
    @DisplayName("tag and type queries")
    class TagQueries {

        private List<RecordedEvent> all;

        @BeforeEach
        void taggedHistory() {
            appendTagged(newStream("seat"), tagged("seat.reserved", 1, "seat:1", "show:1"));
            appendTagged(newStream("seat"), tagged("seat.reserved", 2, "seat:2", "show:1"));
            appendTagged(newStream("seat"), tagged("seat.released", 3, "seat:1", "show:1"));
            appendTagged(newStream("note"), tagged("note.added", 4, "seat:1"));
            appendTagged(newStream("seat"), event("seat.reserved", 5));
            all = loadAll(EventQuery.all());
        }

        private List<Integer> numbers(EventQuery query) {
            List<RecordedEvent> loaded = loadAll(query);
            assertInGlobalOrder(loaded);
            return numbersOf(loaded);
        }

        @Test
        void aTagSelectsEveryEventCarryingIt() {
            assertEquals(List.of(1, 3, 4), numbers(EventQuery.of(EventFilter.forTags("seat:1"))));
        }

        @Test
        void severalTagsOfOneFilterMustAllBeCarried() {
            assertEquals(List.of(1, 3), numbers(EventQuery.of(EventFilter.forTags("seat:1", "show:1"))));
            assertEquals(List.of(), numbers(EventQuery.of(EventFilter.forTags("seat:1", "seat:2"))));
        }

        @Test
        void aTypeAndATagMustBothMatch() {
            assertEquals(List.of(1), numbers(EventQuery.of(EventFilter.forType("seat.reserved").tagged("seat:1"))));
            assertEquals(List.of(4), numbers(EventQuery.of(EventFilter.forTypeInCategory("note.added", "note").tagged("seat:1"))));
        }

        @Test
        void anItemWithTwoTypesIsTwoFilters() {
            EventQuery query = EventQuery.of(
                    EventFilter.forType("seat.reserved").tagged("seat:1"),
                    EventFilter.forType("seat.released").tagged("seat:1"));
            assertEquals(List.of(1, 3), numbers(query));
        }

        @Test
        void itemsAreOredAndAnEventMatchedTwiceComesOnce() {
            EventQuery query = EventQuery.of(EventFilter.forTags("seat:1"), EventFilter.forTags("show:1"), EventFilter.forType("seat.reserved"));
            assertEquals(List.of(1, 2, 3, 4, 5), numbers(query));
        }

        @Test
        void afterAppliesToTagQueries() {
            assertEquals(List.of(3, 4), numbers(EventQuery.of(EventFilter.forTags("seat:1")).after(all.get(0).position())));
            EventQuery perFilter = EventQuery.of(
                    EventFilter.forTags("seat:1").after(all.get(2).position()),
                    EventFilter.forTags("seat:2"));
            assertEquals(List.of(2, 4), numbers(perFilter));
        }

        @Test
        void aTagQueryReadsMoreThanOnePageInOrder() {
            StreamId bulk = newStream("bulk");
            for (int i = 0; i < 6; i++) {
                int batch = i;
                append(bulk, ExpectedVersion.any(), IntStream.range(0, 250)
                        .mapToObj(n -> n % 2 == 0 ? tagged("bulk.item", batch * 250 + n, "bulk:even") : event("bulk.item", batch * 250 + n))
                        .toList());
            }
            List<RecordedEvent> loaded = loadAll(EventQuery.of(EventFilter.forTags("bulk:even")));
            assertEquals(750, loaded.size());
            assertEquals(IntStream.range(0, 750).map(n -> n * 2).boxed().toList(), numbersOf(loaded));
            assertInGlobalOrder(loaded);
        }

        @Test
        void aSubscriptionByTagCatchesUpThenFollowsLiveAfterAPosition() {
            StreamId stream = newStream("seat");
            store.subscribe(EventQuery.of(EventFilter.forTags("seat:1")).after(all.get(0).position()))
                    .as(StepVerifier::create)
                    .assertNext(e -> assertEquals(all.get(2).eventId(), e.eventId()))
                    .assertNext(e -> assertEquals(all.get(3).eventId(), e.eventId()))
                    .then(() -> append(stream, ExpectedVersion.any(), List.of(event("seat.reserved", 6), tagged("seat.reserved", 7, "seat:2"),
                            tagged("seat.reserved", 8, "seat:1", "show:2"))))
                    .assertNext(e -> {
                        assertEquals(8, JSON.readTree(e.data()).get("n").asInt());
                        assertEquals(Set.of("seat:1", "show:2"), e.tags());
                    })
                    .thenCancel()
                    .verify(TIMEOUT);
        }
    }

    @Nested
    @DisplayName("append conditions")
    class AppendConditions {

        private final EventQuery seat1 = EventQuery.of(EventFilter.forTags("seat:1"));

        /** What a decider read of {@code query}: the position of the last matching event, or START. */
        private Position readUpTo(EventQuery query) {
            List<RecordedEvent> read = loadAll(query);
            return read.isEmpty() ? Position.START : read.get(read.size() - 1).position();
        }

        private Mono<AppendResult> reserve(StreamId stream, int n, AppendCondition condition) {
            return store.append(stream, ExpectedVersion.any(), List.of(tagged("seat.reserved", n, "seat:1")), condition);
        }

        @Test
        void passesWhenNothingMatchingCameAfterThePositionRead() {
            appendTagged(newStream("seat"), tagged("seat.reserved", 1, "seat:1"));
            Position read = readUpTo(seat1);
            StreamId stream = newStream("seat");
            AppendResult result = reserve(stream, 2, AppendCondition.failIfEventsMatch(seat1).after(read)).block(TIMEOUT);
            assertEquals(1, result.toVersion());
            assertEquals(List.of(1, 2), numbersOf(loadAll(seat1)));
        }

        @Test
        void failsWhenAMatchingEventWasCommittedAfterThePositionAndStoresNothing() {
            appendTagged(newStream("seat"), tagged("seat.reserved", 1, "seat:1"));
            Position read = readUpTo(seat1);
            AppendResult rival = appendTagged(newStream("seat"), tagged("seat.released", 2, "seat:1", "show:9"));
            StreamId stream = newStream("seat");
            reserve(stream, 3, AppendCondition.failIfEventsMatch(seat1).after(read))
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertEquals(rival.position(),
                            assertInstanceOf(AppendConditionFailedException.class, e).matchedAt()))
                    .verify(TIMEOUT);
            assertEquals(List.of(1, 2), numbersOf(loadAll(seat1)));
            assertEquals(null, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void aConditionAfterStartFailsOnAnyMatchingEvent() {
            appendTagged(newStream("seat"), tagged("seat.reserved", 1, "seat:1"));
            reserve(newStream("seat"), 2, AppendCondition.failIfEventsMatch(seat1))
                    .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
            reserve(newStream("seat"), 3, AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("seat:2"))))
                    .as(StepVerifier::create).expectNextCount(1).expectComplete().verify(TIMEOUT);
        }

        @Test
        void eventsTheQueryDoesNotSelectNeverFailIt() {
            Position read = readUpTo(seat1);
            appendTagged(newStream("seat"), tagged("seat.reserved", 1, "seat:2"));
            appendTagged(newStream("seat"), event("seat.reserved", 2));
            EventQuery reservedSeat1 = EventQuery.of(EventFilter.forType("seat.reserved").tagged("seat:1", "show:1"));
            appendTagged(newStream("seat"), tagged("seat.reserved", 3, "seat:1"));
            appendTagged(newStream("seat"), tagged("seat.released", 4, "seat:1", "show:1"));
            store.append(newStream("seat"), ExpectedVersion.any(), List.of(tagged("seat.reserved", 5, "seat:1", "show:1")),
                            AppendCondition.failIfEventsMatch(reservedSeat1).after(read))
                    .as(StepVerifier::create).expectNextCount(1).expectComplete().verify(TIMEOUT);
        }

        @Test
        void aTypeOnlyConditionSeesEveryEventOfTheType() {
            EventQuery invoices = EventQuery.of(EventFilter.forType("invoice.numbered"));
            Position read = readUpTo(invoices);
            appendTagged(newStream("invoice"), tagged("invoice.numbered", 1, "invoice:1"));
            store.append(newStream("invoice"), ExpectedVersion.noStream(), List.of(event("invoice.numbered", 2)),
                            AppendCondition.failIfEventsMatch(invoices).after(read))
                    .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
        }

        @Test
        void combinedConditionsEachKeepTheirOwnPosition() {
            EventQuery student = EventQuery.of(EventFilter.forTags("student:1"));
            EventQuery course = EventQuery.of(EventFilter.forTags("course:1"));
            appendTagged(newStream("enrolment"), tagged("enrolled", 1, "student:1", "course:0"));
            Position studentRead = readUpTo(student);
            Position courseRead = readUpTo(course);
            AppendCondition both = AppendCondition.failIfEventsMatch(student).after(studentRead)
                    .and(AppendCondition.failIfEventsMatch(course).after(courseRead));
            EventData enrol = tagged("enrolled", 2, "student:1", "course:1");
            assertEquals(1, store.append(newStream("enrolment"), ExpectedVersion.any(), List.of(enrol), both).block(TIMEOUT).toVersion());

            appendTagged(newStream("enrolment"), tagged("enrolled", 3, "student:2", "course:1"));
            store.append(newStream("enrolment"), ExpectedVersion.any(), List.of(tagged("enrolled", 4, "student:1", "course:1")), both)
                    .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
        }

        @Test
        void anExpectedVersionIsCheckedBesideTheCondition() {
            StreamId stream = newStream("seat");
            append(stream, ExpectedVersion.noStream(), List.of(event("seat.created", 1)));
            AppendCondition nothingYet = AppendCondition.failIfEventsMatch(seat1).after(readUpTo(seat1));
            store.append(stream, ExpectedVersion.noStream(), List.of(tagged("seat.reserved", 2, "seat:1")), nothingYet)
                    .as(StepVerifier::create)
                    .expectErrorSatisfies(e -> assertConflict(e, stream, ExpectedVersion.noStream(), 1))
                    .verify(TIMEOUT);
            AppendResult ok = store.append(stream, ExpectedVersion.exact(1), List.of(tagged("seat.reserved", 3, "seat:1")), nothingYet)
                    .block(TIMEOUT);
            assertEquals(2, ok.toVersion());
            store.append(stream, ExpectedVersion.exact(2), List.of(tagged("seat.reserved", 4, "seat:1")), nothingYet)
                    .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
            assertEquals(List.of(3), numbersOf(loadAll(seat1)));
        }

        @Test
        void appendAllUnderAConditionIsAtomic() {
            StreamId a = newStream("seat");
            StreamId b = newStream("seat");
            AppendCondition nothingYet = AppendCondition.failIfEventsMatch(seat1).after(Position.START);
            List<StreamAppend> both = List.of(
                    StreamAppend.of(a, ExpectedVersion.noStream(), List.of(tagged("seat.reserved", 1, "seat:1"))),
                    StreamAppend.of(b, ExpectedVersion.noStream(), List.of(tagged("seat.paid", 2, "seat:1"))));
            List<AppendResult> results = store.appendAll(both, nothingYet).block(TIMEOUT);
            assertEquals(2, results.size());
            assertEquals(List.of(1, 2), numbersOf(loadAll(seat1)));

            StreamId c = newStream("seat");
            StreamId d = newStream("seat");
            store.appendAll(List.of(
                            StreamAppend.of(c, ExpectedVersion.noStream(), List.of(event("other", 3))),
                            StreamAppend.check(a, ExpectedVersion.exact(1)),
                            StreamAppend.of(d, ExpectedVersion.noStream(), List.of(tagged("seat.reserved", 4, "seat:1")))), nothingYet)
                    .as(StepVerifier::create).expectError(AppendConditionFailedException.class).verify(TIMEOUT);
            assertEquals(null, store.streamVersion(c).block(TIMEOUT));
            assertEquals(null, store.streamVersion(d).block(TIMEOUT));
            store.appendAll(List.of(
                            StreamAppend.of(c, ExpectedVersion.noStream(), List.of(event("other", 3))),
                            StreamAppend.check(a, ExpectedVersion.exact(5))), AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("none"))))
                    .as(StepVerifier::create).expectErrorSatisfies(e -> assertConflict(e, a, ExpectedVersion.exact(5), 1)).verify(TIMEOUT);
            assertEquals(null, store.streamVersion(c).block(TIMEOUT));
        }

        @Test
        void aRetryOfAStoredConditionedAppendAnswersItsOriginalResult() {
            StreamId stream = newStream("seat");
            List<EventData> events = List.of(tagged("seat.reserved", 1, "seat:1"));
            AppendCondition condition = AppendCondition.failIfEventsMatch(seat1).after(Position.START);
            AppendResult first = store.append(stream, ExpectedVersion.noStream(), events, condition).block(TIMEOUT);
            AppendResult retry = store.append(stream, ExpectedVersion.noStream(), events, condition).block(TIMEOUT);
            assertEquals(first, retry);
            List<StreamAppend> all = List.of(StreamAppend.of(newStream("seat"), ExpectedVersion.noStream(), List.of(tagged("seat.paid", 2, "seat:1"))));
            AppendCondition after = AppendCondition.failIfEventsMatch(seat1).after(first.position());
            assertEquals(store.appendAll(all, after).block(TIMEOUT), store.appendAll(all, after).block(TIMEOUT));
            assertEquals(2, loadAll(seat1).size());
            store.append(newStream("seat"), ExpectedVersion.any(), events, AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("none"))))
                    .as(StepVerifier::create).expectError(DuplicateEventException.class).verify(TIMEOUT);
        }

        @Test
        void racingDecidersForOneSeatHaveOneWinner() {
            int deciders = 12;
            Position read = readUpTo(seat1);
            AppendCondition condition = AppendCondition.failIfEventsMatch(seat1).after(read);
            ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
            Scheduler racers = Schedulers.newParallel("contract-deciders", 4);
            try {
                long won = Flux.range(0, deciders)
                        .flatMap(n -> reserve(newStream("seat"), n, condition)
                                .onErrorResume(e -> {
                                    failures.add(e);
                                    return Mono.empty();
                                })
                                .subscribeOn(racers), deciders)
                        .count()
                        .block(TIMEOUT);
                assertEquals(1, won);
            } finally {
                racers.dispose();
            }
            assertEquals(deciders - 1, failures.size());
            failures.forEach(e -> assertInstanceOf(AppendConditionFailedException.class, e));
            assertEquals(1, loadAll(seat1).size());
        }

        @Test
        void aNullConditionFailsAtCallTime() {
            StreamId stream = newStream("seat");
            assertThrows(NullPointerException.class, () -> store.append(stream, ExpectedVersion.any(), events("a", 1), null));
            assertThrows(NullPointerException.class, () -> store.appendAll(List.of(StreamAppend.of(stream, ExpectedVersion.any(), events("a", 1))), null));
            AppendCondition condition = AppendCondition.failIfEventsMatch(seat1);
            assertThrows(IllegalArgumentException.class, () -> store.append(stream, ExpectedVersion.any(), List.of(), condition));
            assertThrows(IllegalArgumentException.class, () -> store.appendAll(List.of(), condition));
            store.load(EventQuery.all()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void invalidTagsAndConditionsAreRejectedWhenBuilt() {
            EventData event = event("a", 1);
            assertThrows(IllegalArgumentException.class, () -> event.withTags(" "));
            assertThrows(IllegalArgumentException.class, () -> event.withTags(""));
            assertThrows(IllegalArgumentException.class, () -> event.withTags("nul\u0000"));
            assertThrows(NullPointerException.class, () -> event.withTags((String) null));
            assertThrows(NullPointerException.class, () -> event.withTags(Arrays.asList("a", null)));
            assertThrows(NullPointerException.class, () -> new EventData(event.eventId(), "a", event.data(), event.metadata(), null));
            assertThrows(IllegalArgumentException.class, () -> EventFilter.forTags());
            assertThrows(IllegalArgumentException.class, () -> EventFilter.forTags("\t"));
            assertThrows(NullPointerException.class, () -> EventFilter.forType("a").tagged((String) null));
            assertThrows(IllegalArgumentException.class, () -> AppendCondition.failIfEventsMatch(EventQuery.all()));
            assertThrows(IllegalArgumentException.class, () -> AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forCategory("seat"))));
            assertThrows(NullPointerException.class, () -> AppendCondition.failIfEventsMatch(null));
            assertThrows(NullPointerException.class, () -> AppendCondition.failIfEventsMatch(seat1).after(null));
        }
    }

    // ---------------------------------------------------------------- subscribe

    @Nested
    @DisplayName("subscribe")
    class Subscribe {

        @Test
        void catchesUpThenFollowsLiveAndNeverCompletes() {
            StreamId stream = newStream("order");
            List<EventData> before = events("a", 2);
            List<EventData> after = events("b", 2);
            append(stream, ExpectedVersion.noStream(), before);
            store.subscribe(EventQuery.all())
                    .as(StepVerifier::create)
                    .assertNext(e -> assertEquals(before.get(0).eventId(), e.eventId()))
                    .assertNext(e -> assertEquals(before.get(1).eventId(), e.eventId()))
                    .then(() -> append(stream, ExpectedVersion.exact(2), after))
                    .assertNext(e -> assertEquals(after.get(0).eventId(), e.eventId()))
                    .assertNext(e -> assertEquals(after.get(1).eventId(), e.eventId()))
                    .expectNoEvent(Duration.ofMillis(100))
                    .thenCancel()
                    .verify(TIMEOUT);
        }

        @Test
        void aSubscriptionOnAnEmptyStoreReceivesTheFirstEvents() {
            StreamId stream = newStream("order");
            List<EventData> batch = events("a", 3);
            store.subscribe(EventQuery.all())
                    .as(StepVerifier::create)
                    .expectSubscription()
                    .then(() -> append(stream, ExpectedVersion.noStream(), batch))
                    .expectNextCount(3)
                    .thenCancel()
                    .verify(TIMEOUT);
        }

        @Test
        void aFilteredSubscriptionReceivesOnlyMatchingEvents() {
            StreamId orders = newStream("order");
            StreamId customers = newStream("customer");
            append(orders, ExpectedVersion.any(), List.of(event("order.placed", 1)));
            append(customers, ExpectedVersion.any(), List.of(event("customer.registered", 2)));
            store.subscribe(EventQuery.of(EventFilter.forCategory("order")))
                    .as(StepVerifier::create)
                    .assertNext(e -> assertEquals(orders, e.streamId()))
                    .then(() -> append(customers, ExpectedVersion.any(), List.of(event("customer.renamed", 3))))
                    .then(() -> append(orders, ExpectedVersion.any(), List.of(event("order.paid", 4))))
                    .assertNext(e -> assertEquals("order.paid", e.type()))
                    .thenCancel()
                    .verify(TIMEOUT);
        }

        @Test
        void resumingAfterTheLastProcessedPositionMissesNothingAndRepeatsNothing() {
            StreamId stream = newStream("order");
            List<EventData> batch = events("a", 5);
            append(stream, ExpectedVersion.noStream(), batch);
            List<RecordedEvent> firstRun = store.subscribe(EventQuery.all()).take(3).collectList().block(TIMEOUT);
            Position checkpoint = firstRun.get(2).position();
            List<EventData> more = events("b", 2);
            append(stream, ExpectedVersion.exact(5), more);

            List<RecordedEvent> secondRun = store.subscribe(EventQuery.all().after(checkpoint))
                    .take(4).collectList().block(TIMEOUT);

            List<UUID> seen = new ArrayList<>(ids(firstRun));
            seen.addAll(ids(secondRun));
            List<UUID> expected = new ArrayList<>(dataIds(batch));
            expected.addAll(dataIds(more));
            assertEquals(expected, seen);
        }

        @Test
        void everySubscriptionReceivesEveryEvent() {
            StreamId stream = newStream("order");
            Flux<RecordedEvent> first = store.subscribe(EventQuery.all()).take(4);
            Flux<RecordedEvent> second = store.subscribe(EventQuery.all()).take(4);
            List<EventData> batch = events("a", 4);
            Mono<List<List<UUID>>> both = Flux.merge(
                            first.map(RecordedEvent::eventId).collectList(),
                            second.map(RecordedEvent::eventId).collectList())
                    .collectList();
            StepVerifier.create(both)
                    .then(() -> append(stream, ExpectedVersion.noStream(), batch.subList(0, 2)))
                    .then(() -> append(stream, ExpectedVersion.exact(2), batch.subList(2, 4)))
                    .assertNext(lists -> {
                        assertEquals(dataIds(batch), lists.get(0));
                        assertEquals(dataIds(batch), lists.get(1));
                    })
                    .expectComplete().verify(TIMEOUT);
        }

        @Test
        void liveEventsArriveInGlobalOrderAcrossStreams() {
            List<StreamId> streams = List.of(newStream("a"), newStream("b"), newStream("c"));
            StepVerifier.create(store.subscribe(EventQuery.all()).take(30).collectList())
                    .then(() -> {
                        for (int i = 0; i < 30; i++) {
                            append(streams.get(i % 3), ExpectedVersion.any(), List.of(event("x", i)));
                        }
                    })
                    .assertNext(received -> {
                        assertInGlobalOrder(received);
                        assertEquals(IntStream.range(0, 30).boxed().toList(),
                                received.stream().map(e -> JSON.readTree(e.data()).get("n").asInt()).toList());
                    })
                    .expectComplete().verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- concurrency

    @Nested
    @DisplayName("concurrency")
    class Concurrency {

        private static final int WRITERS = 16;
        private static final int APPENDS_PER_WRITER = 100;
        private static final int STREAMS = 4;

        /** One attempted append and what became of it. */
        private record Attempt(StreamId stream, List<EventData> events, AppendResult result, boolean conflicted, boolean aborted) {}

        @Test
        void manyWritersOnOverlappingStreamsLoseDuplicateAndReorderNothing() {
            List<StreamId> streams = IntStream.range(0, STREAMS).mapToObj(i -> newStream("hot")).toList();
            ConcurrentLinkedQueue<Attempt> attempts = new ConcurrentLinkedQueue<>();
            Flux<RecordedEvent> live = store.subscribe(EventQuery.of(EventFilter.forCategory("hot"))).replay().autoConnect(0);
            Scheduler writers = Schedulers.newParallel("contract-writers", WRITERS);
            try {
                Flux.range(0, WRITERS)
                        .flatMap(w -> Flux.range(0, APPENDS_PER_WRITER)
                                .concatMap(n -> attempt(streams.get((w + n) % STREAMS), w, n))
                                .doOnNext(attempts::add)
                                .subscribeOn(writers), WRITERS)
                        .then()
                        .block(TIMEOUT.multipliedBy(6));
            } finally {
                writers.dispose();
            }

            List<RecordedEvent> stored = loadAll(EventQuery.of(EventFilter.forCategory("hot")));
            Set<UUID> storedIds = new HashSet<>(ids(stored));
            List<UUID> expectedIds = new ArrayList<>();
            int succeeded = 0;
            for (Attempt attempt : attempts) {
                List<UUID> batch = dataIds(attempt.events());
                boolean present = storedIds.containsAll(batch);
                assertTrue(present || Collections.disjoint(storedIds, batch),
                        "a batch was stored in part: " + attempt);
                if (attempt.result() != null) {
                    succeeded++;
                    assertTrue(present, "a successful append is missing: " + attempt);
                    assertEquals(batch.size(), attempt.result().eventCount());
                } else if (attempt.conflicted()) {
                    assertFalse(present, "a conflicting append was stored: " + attempt);
                }
                if (present) {
                    expectedIds.addAll(batch);
                }
            }
            assertEquals(WRITERS * APPENDS_PER_WRITER, attempts.size());
            assertTrue(succeeded >= STREAMS, "too few appends succeeded to test anything: " + succeeded);

            assertEquals(expectedIds.size(), stored.size(), "stored events");
            assertEquals(new HashSet<>(expectedIds), storedIds);
            assertInGlobalOrder(stored);
            assertStreamsConsistent(stored, attempts);

            List<RecordedEvent> delivered = live.take(stored.size()).collectList().block(TIMEOUT);
            assertEquals(ids(stored), ids(delivered), "the subscriber must see exactly the stored history, in order");
            for (StreamId stream : streams) {
                long count = stored.stream().filter(e -> e.streamId().equals(stream)).count();
                assertEquals(count == 0 ? null : count, store.streamVersion(stream).block(TIMEOUT));
            }
        }

        private Mono<Attempt> attempt(StreamId stream, int writer, int n) {
            List<EventData> batch = IntStream.range(0, 1 + (writer + n) % 3)
                    .mapToObj(k -> EventData.of("hot.touched", "{\"writer\":" + writer + ",\"n\":" + n + ",\"k\":" + k + "}"))
                    .toList();
            boolean abort = ThreadLocalRandom.current().nextInt(10) == 0;
            Mono<Attempt> append = store.streamVersion(stream).defaultIfEmpty(0L)
                    .flatMap(version -> store.append(stream, ExpectedVersion.exact(version), batch))
                    .map(result -> new Attempt(stream, batch, result, false, false))
                    .onErrorResume(ConcurrencyConflictException.class,
                            e -> Mono.just(new Attempt(stream, batch, null, true, false)));
            if (abort) {
                // Cancel part-way: the append may or may not have been committed, but never in part.
                Duration after = Duration.ofNanos(ThreadLocalRandom.current().nextLong(2_000_000));
                return append.timeout(after, Mono.just(new Attempt(stream, batch, null, false, true)));
            }
            return append;
        }

        private void assertStreamsConsistent(List<RecordedEvent> stored, Iterable<Attempt> attempts) {
            Map<StreamId, List<RecordedEvent>> byStream = new HashMap<>();
            stored.forEach(e -> byStream.computeIfAbsent(e.streamId(), s -> new ArrayList<>()).add(e));
            Map<UUID, RecordedEvent> byId = new HashMap<>();
            stored.forEach(e -> byId.put(e.eventId(), e));
            byStream.values().forEach(events -> assertEquals(versionRange(1, events.size()), versions(events),
                    "versions of a stream must be 1..n in global order"));
            for (Attempt attempt : attempts) {
                if (attempt.result() != null) {
                    List<UUID> batch = dataIds(attempt.events());
                    for (int i = 0; i < batch.size(); i++) {
                        assertEquals(attempt.result().fromVersion() + 1 + i, byId.get(batch.get(i)).streamVersion());
                    }
                }
            }
        }

        @Test
        void concurrentCreatorsOfOneStreamHaveExactlyOneWinner() {
            StreamId stream = newStream("order");
            Scheduler writers = Schedulers.newParallel("contract-creators", 8);
            try {
                List<Boolean> outcomes = Flux.range(0, 8)
                        .flatMap(i -> store.append(stream, ExpectedVersion.noStream(), events("created", 1))
                                .map(r -> true)
                                .onErrorResume(ConcurrencyConflictException.class, e -> Mono.just(false))
                                .subscribeOn(writers))
                        .collectList()
                        .block(TIMEOUT);
                assertEquals(1, outcomes.stream().filter(Boolean::booleanValue).count());
                assertEquals(1L, store.streamVersion(stream).block(TIMEOUT));
            } finally {
                writers.dispose();
            }
        }

        @Test
        void crossingMultiStreamCommitsNeitherDeadlockNorTearApart() {
            StreamId a = newStream("account");
            StreamId b = newStream("account");
            Scheduler writers = Schedulers.newParallel("contract-transfers", 8);
            try {
                List<List<AppendResult>> results = Flux.range(0, 80)
                        .flatMap(i -> {
                            List<StreamId> order = i % 2 == 0 ? List.of(a, b) : List.of(b, a);
                            return store.appendAll(List.of(
                                            StreamAppend.of(order.get(0), ExpectedVersion.any(), events("debited", 1)),
                                            StreamAppend.of(order.get(1), ExpectedVersion.any(), events("credited", 1))))
                                    .subscribeOn(writers);
                        }, 8)
                        .collectList()
                        .block(TIMEOUT.multipliedBy(2));
                assertEquals(80, results.size());
                assertEquals(80L, store.streamVersion(a).block(TIMEOUT));
                assertEquals(80L, store.streamVersion(b).block(TIMEOUT));
                List<RecordedEvent> loaded = loadAll(EventQuery.all());
                assertInGlobalOrder(loaded);
                // The two events of each commit are adjacent in the global order.
                for (int i = 0; i < loaded.size(); i += 2) {
                    assertEquals(loaded.get(i).position().commit(), loaded.get(i + 1).position().commit());
                    assertFalse(loaded.get(i).streamId().equals(loaded.get(i + 1).streamId()));
                }
            } finally {
                writers.dispose();
            }
        }
    }

    // ---------------------------------------------------------------- backpressure

    @Nested
    @DisplayName("backpressure")
    class Backpressure {

        @Test
        void loadEmitsOnlyWhatIsRequested() {
            StreamId stream = newStream("bulk");
            append(stream, ExpectedVersion.noStream(), events("bulk.item", 600));
            StepVerifier.create(store.load(EventQuery.all()), 0)
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(1)
                    .assertNext(e -> assertEquals(1, e.streamVersion()))
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(300)
                    .expectNextCount(300)
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(Long.MAX_VALUE)
                    .expectNextCount(299)
                    .expectComplete().verify(TIMEOUT);
        }

        @Test
        void readStreamEmitsOnlyWhatIsRequested() {
            StreamId stream = newStream("bulk");
            append(stream, ExpectedVersion.noStream(), events("bulk.item", 300));
            StepVerifier.create(store.readStream(stream), 0)
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(2)
                    .expectNextCount(2)
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(298)
                    .expectNextCount(298)
                    .expectComplete().verify(TIMEOUT);
        }

        @Test
        void aSubscriptionHoldsLiveEventsUntilRequested() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 1));
            StepVerifier.create(store.subscribe(EventQuery.all()), 0)
                    .expectSubscription()
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(1)
                    .assertNext(e -> assertEquals(1, e.streamVersion()))
                    .then(() -> append(stream, ExpectedVersion.exact(1), events("b", 3)))
                    .expectNoEvent(Duration.ofMillis(100))
                    .thenRequest(2)
                    .assertNext(e -> assertEquals(2, e.streamVersion()))
                    .assertNext(e -> assertEquals(3, e.streamVersion()))
                    .expectNoEvent(Duration.ofMillis(50))
                    .thenRequest(1)
                    .assertNext(e -> assertEquals(4, e.streamVersion()))
                    .thenCancel()
                    .verify(TIMEOUT);
        }

        @Test
        void aSlowSubscriberStillReceivesEverythingInOrder() {
            StreamId stream = newStream("bulk");
            Flux<RecordedEvent> slow = store.subscribe(EventQuery.all()).limitRate(7).take(2000);
            StepVerifier.create(slow.map(RecordedEvent::streamVersion).collectList())
                    .then(() -> {
                        for (int i = 0; i < 20; i++) {
                            append(stream, ExpectedVersion.exact(i * 100L), events("bulk.item", 100));
                        }
                    })
                    .assertNext(received -> assertEquals(versionRange(1, 2000), received))
                    .expectComplete().verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- cancellation

    @Nested
    @DisplayName("cancellation")
    class Cancellation {

        @Test
        void takingPartOfALoadCompletesAfterThatPart() {
            append(newStream("bulk"), ExpectedVersion.noStream(), events("bulk.item", 1000));
            store.load(EventQuery.all()).take(5).as(StepVerifier::create).expectNextCount(5).expectComplete().verify(TIMEOUT);
        }

        @Test
        void aCancelledSubscriptionLeavesTheStoreWorking() {
            StreamId stream = newStream("order");
            store.subscribe(EventQuery.all())
                    .as(StepVerifier::create)
                    .then(() -> append(stream, ExpectedVersion.noStream(), events("a", 1)))
                    .expectNextCount(1)
                    .thenCancel()
                    .verify(TIMEOUT);
            append(stream, ExpectedVersion.exact(1), events("b", 1));
            store.subscribe(EventQuery.all()).take(2).as(StepVerifier::create).expectNextCount(2).expectComplete().verify(TIMEOUT);
            assertEquals(2L, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void manySubscriptionsOpenedAndCancelledLeaveTheStoreWorking() {
            StreamId stream = newStream("order");
            append(stream, ExpectedVersion.noStream(), events("a", 1));
            for (int i = 0; i < 50; i++) {
                store.subscribe(EventQuery.all()).take(1).as(StepVerifier::create).expectNextCount(1).expectComplete().verify(TIMEOUT);
            }
            append(stream, ExpectedVersion.exact(1), events("b", 1));
            store.load(EventQuery.all()).as(StepVerifier::create).expectNextCount(2).expectComplete().verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- laziness

    @Nested
    @DisplayName("laziness")
    class Laziness {

        @Test
        void anAppendWritesWhenSubscribedNotWhenCreated() {
            StreamId stream = newStream("order");
            Mono<AppendResult> append = store.append(stream, ExpectedVersion.noStream(), events("a", 1));
            Mono<List<AppendResult>> appendAll =
                    store.appendAll(List.of(StreamAppend.of(stream, ExpectedVersion.exact(1), events("b", 1))));
            store.streamVersion(stream).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.load(EventQuery.all()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);

            append.then(appendAll).block(TIMEOUT);
            assertEquals(2L, store.streamVersion(stream).block(TIMEOUT));
        }

        @Test
        void aLoadReadsWhenSubscribedNotWhenCreated() {
            StreamId stream = newStream("order");
            Flux<RecordedEvent> load = store.load(EventQuery.all());
            Flux<RecordedEvent> read = store.readStream(stream);
            Mono<Long> version = store.streamVersion(stream);
            append(stream, ExpectedVersion.noStream(), events("a", 2));
            load.as(StepVerifier::create).expectNextCount(2).expectComplete().verify(TIMEOUT);
            read.as(StepVerifier::create).expectNextCount(2).expectComplete().verify(TIMEOUT);
            version.as(StepVerifier::create).expectNext(2L).expectComplete().verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- bad input

    @Nested
    @DisplayName("bad input")
    class BadInput {

        private final StreamId stream = newStream("order");

        @Test
        void nullArgumentsFailAtCallTime() {
            List<EventData> one = events("a", 1);
            assertThrows(NullPointerException.class, () -> store.append(null, ExpectedVersion.any(), one));
            assertThrows(NullPointerException.class, () -> store.append(stream, null, one));
            assertThrows(NullPointerException.class, () -> store.append(stream, ExpectedVersion.any(), null));
            assertThrows(NullPointerException.class, () -> store.append(stream, ExpectedVersion.any(), Arrays.asList((EventData) null)));
            assertThrows(NullPointerException.class, () -> store.appendAll(null));
            assertThrows(NullPointerException.class, () -> store.appendAll(Arrays.asList((StreamAppend) null)));
            assertThrows(NullPointerException.class, () -> store.streamVersion(null));
            assertThrows(NullPointerException.class, () -> store.readEvent(null));
            assertThrows(NullPointerException.class, () -> store.readStream(null, ReadOptions.forwards()));
            assertThrows(NullPointerException.class, () -> store.readStream(stream, null));
            assertThrows(NullPointerException.class, () -> store.load(null));
            assertThrows(NullPointerException.class, () -> store.subscribe(null));
            assertNothingStored();
        }

        @Test
        void anEmptyBatchFailsAtCallTime() {
            assertThrows(IllegalArgumentException.class, () -> store.append(stream, ExpectedVersion.any(), List.of()));
            assertNothingStored();
        }

        @Test
        void twoEventsWithOneIdFailAtCallTime() {
            EventData event = event("a", 1);
            assertThrows(IllegalArgumentException.class, () -> store.append(stream, ExpectedVersion.any(), List.of(event, event)));
            assertThrows(IllegalArgumentException.class, () -> store.appendAll(List.of(
                    StreamAppend.of(stream, ExpectedVersion.any(), List.of(event)),
                    StreamAppend.of(newStream("order"), ExpectedVersion.any(), List.of(event)))));
            assertNothingStored();
        }

        @Test
        void malformedAppendAllsFailAtCallTime() {
            assertThrows(IllegalArgumentException.class, () -> store.appendAll(List.of()));
            assertThrows(IllegalArgumentException.class, () -> store.appendAll(List.of(
                    StreamAppend.of(stream, ExpectedVersion.any(), events("a", 1)),
                    StreamAppend.of(stream, ExpectedVersion.any(), events("b", 1)))));
            assertThrows(IllegalArgumentException.class, () -> store.appendAll(List.of(
                    StreamAppend.check(stream, ExpectedVersion.noStream()))));
            assertNothingStored();
        }

        @Test
        void invalidValuesAreRejectedWhenBuilt() {
            assertThrows(IllegalArgumentException.class, () -> StreamId.of(" ", "1"));
            assertThrows(IllegalArgumentException.class, () -> StreamId.of("order", ""));
            assertThrows(IllegalArgumentException.class, () -> StreamId.of("or-der", "1"));
            assertThrows(NullPointerException.class, () -> StreamId.of(null, "1"));
            assertThrows(IllegalArgumentException.class, () -> ExpectedVersion.exact(-1));
            assertThrows(IllegalArgumentException.class, () -> Position.of(-1, 0));
            assertThrows(IllegalArgumentException.class, () -> ReadOptions.forwards().limit(0));
            assertThrows(IllegalArgumentException.class, () -> ReadOptions.forwards().fromVersion(-1));
            assertThrows(IllegalArgumentException.class, () -> EventData.of(" ", "{}"));
            assertThrows(IllegalArgumentException.class, () -> EventFilter.forType(""));
            assertThrows(IllegalArgumentException.class, () -> EventFilter.forCategory("a-b"));
            assertThrows(IllegalArgumentException.class, () -> EventQuery.of());
        }

        @Test
        void payloadsThatAreNotJsonAreRejectedWhenBuilt() {
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", "{not json"));
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", "{} {}"));
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", ""));
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", new byte[] {(byte) 0xC3, (byte) 0x28}));
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", "{\"s\":\"\\u0000\"}"));
            assertThrows(IllegalArgumentException.class, () -> EventData.of("a", "{}".getBytes(StandardCharsets.UTF_8), "[1]".getBytes(StandardCharsets.UTF_8)));
            assertEquals("{\"s\":\"\\\\u0000\"}", EventData.of("a", "{\"s\":\"\\\\u0000\"}").dataAsString());
        }

        @Test
        void storedDataCannotBeChangedThroughTheArraysGivenOrTaken() {
            byte[] bytes = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
            EventData event = EventData.of("a", bytes);
            bytes[5] = '2';
            event.data()[5] = '3';
            append(stream, ExpectedVersion.any(), List.of(event));
            RecordedEvent recorded = readAll(stream, ReadOptions.forwards()).get(0);
            recorded.data()[5] = '4';
            assertSameJson("{\"n\":1}".getBytes(StandardCharsets.UTF_8), readAll(stream, ReadOptions.forwards()).get(0).data());
        }

        private void assertNothingStored() {
            store.load(EventQuery.all()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.streamVersion(stream).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }
    }
}
