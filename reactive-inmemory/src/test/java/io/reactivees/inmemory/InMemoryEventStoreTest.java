package io.reactivees.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

/** What the in-memory store promises beyond the shared contract. */
class InMemoryEventStoreTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private final StreamId stream = StreamId.of("order", "1");

    private static List<EventData> events(int count) {
        return IntStream.range(0, count).mapToObj(i -> EventData.of("order.line", "{\"i\":" + i + "}")).toList();
    }

    @Test
    void recordedAtComesFromTheInjectedClock() {
        Instant now = Instant.parse("2026-01-02T03:04:05Z");
        InMemoryEventStore store = InMemoryEventStore.builder().clock(Clock.fixed(now, ZoneOffset.UTC)).build();
        store.append(stream, ExpectedVersion.noStream(), events(2)).block(TIMEOUT);
        store.readStream(stream).as(StepVerifier::create)
                .assertNext(e -> assertEquals(now, e.recordedAt()))
                .assertNext(e -> assertEquals(now, e.recordedAt()))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void positionsAreTheCommitNumberAndTheGlobalSequence() {
        InMemoryEventStore store = InMemoryEventStore.create();
        AppendResult first = store.append(stream, ExpectedVersion.noStream(), events(2)).block(TIMEOUT);
        AppendResult second = store.append(StreamId.of("order", "2"), ExpectedVersion.noStream(), events(1)).block(TIMEOUT);
        assertEquals(Position.of(1, 2), first.position());
        assertEquals(Position.of(2, 3), second.position());
        assertEquals(List.of(Position.of(1, 1), Position.of(1, 2), Position.of(2, 3)),
                store.load(EventQuery.all()).map(RecordedEvent::position).collectList().block(TIMEOUT));
    }

    @Test
    void aCancelledLiveSubscriptionStopsWaitingForCommits() {
        InMemoryEventStore store = InMemoryEventStore.create();
        Disposable subscription = store.subscribe(EventQuery.all()).subscribe();
        assertEquals(1, store.waitingSubscriptions());
        subscription.dispose();
        assertEquals(0, store.waitingSubscriptions());
    }

    @Test
    void aSubscriberWithoutDemandDoesNotHoldUpWritersAndLaterGetsEverything() {
        InMemoryEventStore store = InMemoryEventStore.builder().pageSize(16).build();
        StepVerifier.create(store.subscribe(EventQuery.all()).map(RecordedEvent::streamVersion), 0)
                .expectSubscription()
                .then(() -> {
                    for (int i = 0; i < 100; i++) {
                        store.append(stream, ExpectedVersion.exact(i * 100L), events(100)).block(TIMEOUT);
                    }
                })
                .expectNoEvent(Duration.ofMillis(20))
                .thenRequest(10_000)
                .expectNextSequence(LongRange.of(1, 10_000))
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void liveSubscribersResumeOnTheWakeSchedulerNotOnTheWritersThread() {
        Scheduler wake = Schedulers.newSingle("wake-test");
        try {
            InMemoryEventStore store = InMemoryEventStore.builder().wakeScheduler(wake).build();
            StepVerifier.create(store.subscribe(EventQuery.all()).map(e -> Thread.currentThread().getName()))
                    .expectSubscription()
                    .then(() -> store.append(stream, ExpectedVersion.noStream(), events(1)).block(TIMEOUT))
                    .assertNext(thread -> assertTrue(thread.startsWith("wake-test"), thread))
                    .thenCancel()
                    .verify(TIMEOUT);
        } finally {
            wake.dispose();
        }
    }

    @Test
    void theBuilderRejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> InMemoryEventStore.builder().pageSize(0));
        assertThrows(NullPointerException.class, () -> InMemoryEventStore.builder().clock(null));
        assertThrows(NullPointerException.class, () -> InMemoryEventStore.builder().wakeScheduler(null));
    }

    /** Boxed ranges for {@code expectNextSequence}. */
    private static final class LongRange {
        static List<Long> of(long from, long to) {
            return java.util.stream.LongStream.rangeClosed(from, to).boxed().toList();
        }
    }
}
