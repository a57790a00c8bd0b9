package io.reactivees.inmemory.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.contract.ForwardingEventStore;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.Segment;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

class ProjectionRunnerTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final List<UUID> applied = new CopyOnWriteArrayList<>();
    private final Projection projection = Projection.of("orders-seen", EventQuery.of(EventFilter.forCategory("order")),
            event -> Mono.fromRunnable(() -> applied.add(event.eventId())));
    private ProjectionRunner runner;

    @AfterEach
    void stopRunner() {
        if (runner != null) {
            runner.stop().block(TIMEOUT);
        }
    }

    private List<UUID> append(String category, int count) {
        List<EventData> events = IntStream.range(0, count).mapToObj(i -> EventData.of(category + ".x", "{\"i\":" + i + "}")).toList();
        store.append(StreamId.of(category, UUID.randomUUID().toString()), ExpectedVersion.any(), events).block(TIMEOUT);
        return events.stream().map(EventData::eventId).toList();
    }

    /** Waits, without sleeping on a reactive thread, until the condition holds. */
    private static void await(BooleanSupplier condition) {
        Flux.interval(Duration.ofMillis(5)).filter(t -> condition.getAsBoolean()).next().block(TIMEOUT);
    }

    @Test
    void appliesMatchingEventsInOrderAndFollowsLive() {
        List<UUID> first = append("order", 3);
        append("customer", 2);
        runner = ProjectionRunner.builder(store, checkpoints, projection).build();
        runner.start();
        await(() -> applied.size() == 3);
        List<UUID> later = append("order", 2);
        await(() -> applied.size() == 5);
        assertEquals(first, applied.subList(0, 3));
        assertEquals(later, applied.subList(3, 5));
        assertTrue(runner.isRunning());
        assertEquals(checkpoints.load("orders-seen").block(TIMEOUT), runner.lastProcessed().orElseThrow());
    }

    @Test
    void aRestartResumesAfterTheCheckpointWithoutRepeating() {
        append("order", 3);
        runner = ProjectionRunner.builder(store, checkpoints, projection).build();
        runner.start();
        await(() -> applied.size() == 3);
        runner.stop().block(TIMEOUT);
        assertFalse(runner.isRunning());
        List<UUID> whileStopped = append("order", 2);
        runner.start();
        await(() -> applied.size() == 5);
        assertEquals(whileStopped, applied.subList(3, 5));
        assertEquals(5, applied.stream().distinct().count());
    }

    @Test
    void rebuildStartsOverFromTheFirstEvent() {
        List<UUID> all = append("order", 4);
        runner = ProjectionRunner.builder(store, checkpoints, projection).build();
        runner.start();
        await(() -> applied.size() == 4);
        runner.rebuild(Mono.fromRunnable(applied::clear)).block(TIMEOUT);
        await(() -> applied.size() == 4);
        assertEquals(all, applied);
    }

    @Test
    void aSegmentsRunnerMovesItsCheckpointPastRunsOfOtherSegmentsEvents() {
        StreamId own = streamOfSegment(0);
        StreamId other = streamOfSegment(1);
        UUID first = appendTo(own);
        store.append(other, ExpectedVersion.any(), IntStream.range(0, 25).mapToObj(i -> EventData.of("order.x", "{}")).toList()).block(TIMEOUT);
        List<RecordedEvent> others = store.load(EventQuery.all()).filter(e -> e.streamId().equals(other)).collectList().block(TIMEOUT);
        runner = ProjectionRunner.builder(store, checkpoints, projection).segment(new Segment(0, 2)).checkpointAfterSkipping(10).build();
        String name = runner.name();
        runner.start();
        // after 10 and after 20 events of the other segment; the last 5 are too few for a move
        await(() -> others.get(19).position().equals(checkpoints.load(name).block(TIMEOUT)));
        assertEquals(List.of(first), applied);
        assertEquals(others.get(19).position(), runner.lastProcessed().orElseThrow());

        // an own event moves it as always, and a restart resumes after it
        UUID next = appendTo(own);
        await(() -> applied.size() == 2);
        runner.stop().block(TIMEOUT);
        assertEquals(List.of(first, next), applied);
        RecordedEvent last = store.load(EventQuery.all()).last().block(TIMEOUT);
        assertEquals(last.position(), checkpoints.load(name).block(TIMEOUT));
    }

    @Test
    void checkpointAfterSkippingMustBePositive() {
        ProjectionRunner.Builder builder = ProjectionRunner.builder(store, checkpoints, projection);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> builder.checkpointAfterSkipping(0));
        assertEquals("checkpointAfterSkipping must be at least 1: 0", error.getMessage());
    }

    private UUID appendTo(StreamId stream) {
        EventData event = EventData.of("order.x", "{}");
        store.append(stream, ExpectedVersion.any(), List.of(event)).block(TIMEOUT);
        return event.eventId();
    }

    /** A stream of category {@code order} in segment {@code index} of 2. */
    private static StreamId streamOfSegment(int index) {
        return IntStream.iterate(0, i -> i + 1).mapToObj(i -> StreamId.of("order", "o-" + i))
                .filter(s -> Segment.of(s, 2) == index).findFirst().orElseThrow();
    }

    @Test
    void lagCountsTheEventsBehindTheCheckpoint() {
        append("order", 5);
        runner = ProjectionRunner.builder(store, checkpoints, projection).build();
        assertEquals(5L, runner.lag().block(TIMEOUT));
        runner.start();
        await(() -> applied.size() == 5);
        Flux.interval(Duration.ofMillis(5)).concatMap(t -> runner.lag()).filter(lag -> lag == 0L).next().block(TIMEOUT);
        runner.stop().block(TIMEOUT);
        append("order", 2);
        assertEquals(2L, runner.lag().block(TIMEOUT));
    }

    @Test
    void aHandlerErrorStopsTheRunnerAndAStartResumesAtTheFailedEvent() {
        List<UUID> events = append("order", 3);
        AtomicInteger calls = new AtomicInteger();
        Projection failingOnSecond = Projection.of("flaky", projection.query(), event -> Mono.defer(() -> {
            if (calls.incrementAndGet() == 2) {
                return Mono.error(new IllegalStateException("read model down"));
            }
            applied.add(event.eventId());
            return Mono.empty();
        }));
        runner = ProjectionRunner.builder(store, checkpoints, failingOnSecond).build();
        runner.start();
        await(() -> runner.failure().isPresent());
        assertFalse(runner.isRunning());
        assertEquals(List.of(events.get(0)), applied);
        runner.start();
        await(() -> applied.size() == 3);
        assertEquals(events, applied);
    }

    @Test
    void itSurvivesTheStoreGoingAwayAndComingBack() {
        FlakyStore flaky = new FlakyStore(store);
        List<UUID> before = append("order", 2);
        runner = ProjectionRunner.builder(flaky, checkpoints, projection).backoff(Duration.ofMillis(5), Duration.ofMillis(20)).build();
        runner.start();
        await(() -> applied.size() == 2);
        flaky.down = true;
        flaky.failLiveSubscriptions();
        List<UUID> duringOutage = append("order", 2);
        await(() -> flaky.failedSubscriptions.get() >= 2);
        flaky.down = false;
        await(() -> applied.size() == 4);
        assertEquals(before, applied.subList(0, 2));
        assertEquals(duringOutage, applied.subList(2, 4));
        assertTrue(runner.isRunning());
    }

    /** Delegates to a store, but its subscriptions fail while it is "down". */
    private static final class FlakyStore extends ForwardingEventStore {
        volatile boolean down;
        final AtomicInteger failedSubscriptions = new AtomicInteger();
        private final Map<Object, reactor.core.publisher.Sinks.Empty<Void>> live = new ConcurrentHashMap<>();

        FlakyStore(EventStore delegate) {
            super(delegate);
        }

        void failLiveSubscriptions() {
            live.values().forEach(kill -> kill.tryEmitEmpty());
        }

        @Override
        public Flux<RecordedEvent> subscribe(EventQuery query) {
            return Flux.defer(() -> {
                if (down) {
                    failedSubscriptions.incrementAndGet();
                    return Flux.error(new StoreUnavailableException("down", null));
                }
                Object key = new Object();
                reactor.core.publisher.Sinks.Empty<Void> kill = reactor.core.publisher.Sinks.empty();
                live.put(key, kill);
                return delegate.subscribe(query)
                        .takeUntilOther(kill.asMono())
                        .concatWith(Flux.error(() -> new StoreUnavailableException("connection lost", null)))
                        .doFinally(s -> live.remove(key));
            });
        }
    }
}
