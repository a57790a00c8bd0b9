package io.reactivees.examples.export;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.contract.ForwardingEventStore;
import io.reactivees.core.projection.CheckpointStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The exporter on one store: every event exported once and in order, in bounded batches, one write
 * at a time; a clean stop and a restart miss and repeat nothing, even with events appended live
 * meanwhile; a crash between a write and its checkpoint repeats only that batch; a slow sink holds
 * reading back. Each store's test class says which store and checkpoint store to run on.
 */
abstract class EventExporterContract {

    static final Duration TIMEOUT = Duration.ofSeconds(60);

    /** @return a fresh, empty store */
    protected abstract EventStore store();

    /** @return a fresh checkpoint store beside {@link #store()} */
    protected abstract CheckpointStore checkpoints();

    @Test
    void exportsEveryEventOnceInOrderInBatchesOfAtMostTheMaximum() {
        EventStore store = store();
        Position last = appendEvents(store, 10, 25);
        SlowSink sink = new SlowSink(Duration.ofMillis(5));
        CheckpointStore checkpoints = checkpoints();
        EventExporter exporter = EventExporter.builder("everything", store, checkpoints, sink)
                .batches(40, Duration.ofMillis(50))
                .build();

        List<ExportedBatch> batches = exporter.run(Mono.never())
                .takeUntil(batch -> !last.isAfter(batch.last()))
                .collectList()
                .block(TIMEOUT);

        assertEquals(positions(store), sink.positions(), "every event, once, in the global order");
        assertTrue(sink.batchSizes().stream().allMatch(size -> size > 0 && size <= 40), "batch sizes " + sink.batchSizes());
        assertEquals(sink.batchSizes(), batches.stream().map(ExportedBatch::size).toList());
        assertEquals(1, sink.mostConcurrentWrites(), "one write at a time");
        assertEquals(last, checkpoints.load("everything").block(TIMEOUT));
    }

    @Test
    void aCleanStopAndARestartMissAndRepeatNothingWhileEventsKeepComing() {
        EventStore store = store();
        CheckpointStore checkpoints = checkpoints();
        appendEvents(store, 10, 10);
        SlowSink sink = new SlowSink(Duration.ofMillis(5));
        Sinks.Empty<Void> stop = Sinks.empty();
        // the first run stops once it has written 60 events, while a writer appends live
        sink.onWritten(60, () -> stop.tryEmitEmpty());
        CompletableFuture<Position> writer = Flux.range(0, 10)
                .concatMap(i -> appendBatch(store, StreamId.of("live", "w" + i), 5))
                .last()
                .toFuture();
        List<ExportedBatch> first = exporter(store, checkpoints, sink).run(stop.asMono()).collectList().block(TIMEOUT);
        writer.join();
        Position stoppedAt = checkpoints.load("exporter").block(TIMEOUT);
        assertEquals(first.get(first.size() - 1).last(), stoppedAt, "the checkpoint is the last batch written");
        assertEquals(sink.positions().get(sink.positions().size() - 1), stoppedAt, "everything read was written");

        // more events while it is down, then a new exporter (a restart) on the same checkpoint
        Position last = appendEvents(store, 5, 3);
        exporter(store, checkpoints, sink).run(Mono.never())
                .takeUntil(batch -> !last.isAfter(batch.last()))
                .blockLast(TIMEOUT);

        assertEquals(positions(store), sink.positions(), "every event exactly once across the two runs, in order");
    }

    @Test
    void aCrashBetweenAWriteAndItsCheckpointRepeatsOnlyThatBatch() {
        EventStore store = store();
        CheckpointStore real = checkpoints();
        Position last = appendEvents(store, 6, 10);
        SlowSink sink = new SlowSink(Duration.ZERO);
        // the second checkpoint save fails: the process "dies" right after the second write
        AtomicInteger saves = new AtomicInteger();
        CheckpointStore crashing = new CheckpointStore() {
            @Override
            public Mono<Position> load(String name) {
                return real.load(name);
            }

            @Override
            public Mono<Void> save(String name, Position position) {
                return saves.incrementAndGet() == 2
                        ? Mono.error(new StoreUnavailableException("the process died", null))
                        : real.save(name, position);
            }

            @Override
            public Mono<Void> delete(String name) {
                return real.delete(name);
            }
        };
        Throwable crash = exporter(store, crashing, sink).run(Mono.never()).then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(TIMEOUT);
        assertInstanceOf(StoreUnavailableException.class, crash);
        List<List<Position>> written = sink.batches();
        assertEquals(2, written.size(), "it stopped at the failed checkpoint");

        exporter(store, real, sink).run(Mono.never())
                .takeUntil(batch -> !last.isAfter(batch.last()))
                .blockLast(TIMEOUT);

        List<Position> expected = new ArrayList<>(written.get(0));
        expected.addAll(written.get(1));
        expected.addAll(written.get(1)); // the batch whose checkpoint was lost, again
        expected.addAll(positions(store).subList(written.get(0).size() + written.get(1).size(), positions(store).size()));
        assertEquals(expected, sink.positions(), "only the batch whose checkpoint was lost came twice");
        assertEquals(positions(store), List.copyOf(new TreeSet<>(sink.positions())), "a sink keyed by position holds each once");
    }

    @Test
    void aSlowSinkHoldsReadingBack() {
        EventStore store = store();
        Position last = appendEvents(store, 20, 30);
        AtomicLong read = new AtomicLong();
        AtomicLong mostAhead = new AtomicLong();
        AtomicLong written = new AtomicLong();
        ExportSink slow = batch -> Mono.delay(Duration.ofMillis(10))
                .doOnNext(tick -> {
                    mostAhead.accumulateAndGet(read.get() - written.get(), Math::max);
                    written.addAndGet(batch.size());
                })
                .then();
        EventStore counted = new CountingStore(store, read);
        EventExporter.builder("slow", counted, checkpoints(), slow)
                .batches(10, Duration.ofMillis(20))
                .build()
                .run(Mono.never())
                .takeUntil(batch -> !last.isAfter(batch.last()))
                .blockLast(TIMEOUT);
        assertEquals(600, written.get());
        // the batch being written, one waiting for it, and what the batcher asks for ahead (a few
        // batches): bounded by the batch size, not by how many events the store holds
        assertTrue(mostAhead.get() <= 6 * 10, "read at most 6 batches ahead of the sink, not all 600: " + mostAhead.get());
    }

    @Test
    void aFailingSinkStopsTheRunAndLeavesTheCheckpointAfterTheLastBatchWritten() {
        EventStore store = store();
        CheckpointStore checkpoints = checkpoints();
        appendEvents(store, 3, 10);
        List<Position> firstBatch = new CopyOnWriteArrayList<>();
        AtomicInteger writes = new AtomicInteger();
        ExportSink failingSecond = batch -> {
            if (writes.incrementAndGet() == 2) {
                return Mono.error(new IllegalStateException("the sink is full"));
            }
            batch.forEach(event -> firstBatch.add(event.position()));
            return Mono.empty();
        };
        Throwable error = exporter(store, checkpoints, failingSecond).run(Mono.never()).then(Mono.<Throwable>empty())
                .onErrorResume(Mono::just)
                .block(TIMEOUT);
        assertInstanceOf(IllegalStateException.class, error);
        assertEquals(firstBatch.get(firstBatch.size() - 1), checkpoints.load("exporter").block(TIMEOUT),
                "the checkpoint is the first batch's last event, not the failed one's");
    }

    @Test
    void badArgumentsFailAtOnce() {
        EventStore store = store();
        CheckpointStore checkpoints = checkpoints();
        ExportSink sink = batch -> Mono.empty();
        assertThrows(IllegalArgumentException.class, () -> EventExporter.builder(" ", store, checkpoints, sink));
        assertThrows(NullPointerException.class, () -> EventExporter.builder("x", null, checkpoints, sink));
        assertThrows(NullPointerException.class, () -> EventExporter.builder("x", store, null, sink));
        assertThrows(NullPointerException.class, () -> EventExporter.builder("x", store, checkpoints, null));
        EventExporter.Builder builder = EventExporter.builder("x", store, checkpoints, sink);
        assertThrows(IllegalArgumentException.class, () -> builder.batches(0, Duration.ofSeconds(1)));
        assertThrows(IllegalArgumentException.class, () -> builder.batches(1, Duration.ZERO));
        assertThrows(NullPointerException.class, () -> builder.batches(1, null));
        assertThrows(NullPointerException.class, () -> builder.query(null));
        assertThrows(NullPointerException.class, () -> builder.timer(null));
        assertThrows(NullPointerException.class, () -> builder.build().run(null));
    }

    // ------------------------------------------------------------------ helpers

    static EventExporter exporter(EventStore store, CheckpointStore checkpoints, ExportSink sink) {
        return EventExporter.builder("exporter", store, checkpoints, sink)
                .batches(10, Duration.ofMillis(20))
                .build();
    }

    /** Appends {@code perStream} events to each of {@code streams} streams, one append per stream; the last position. */
    static Position appendEvents(EventStore store, int streams, int perStream) {
        String prefix = UUID.randomUUID().toString().substring(0, 8);
        return Flux.range(0, streams)
                .concatMap(i -> appendBatch(store, StreamId.of("export", prefix + i), perStream))
                .last()
                .block(TIMEOUT);
    }

    static Mono<Position> appendBatch(EventStore store, StreamId stream, int events) {
        List<EventData> data = IntStream.range(0, events)
                .mapToObj(i -> EventData.of("export.happened", "{\"n\":" + i + "}"))
                .toList();
        return store.append(stream, ExpectedVersion.any(), data).map(AppendResult::position);
    }

    static List<Position> positions(EventStore store) {
        return store.load(EventQuery.all()).map(RecordedEvent::position).collectList().block(TIMEOUT);
    }

    /** A sink that takes its time for each batch and records what it got. */
    static final class SlowSink implements ExportSink {
        private final Duration delay;
        private final List<List<Position>> batches = new CopyOnWriteArrayList<>();
        private final AtomicInteger writing = new AtomicInteger();
        private final AtomicInteger mostConcurrent = new AtomicInteger();
        private volatile int notifyAt = Integer.MAX_VALUE;
        private volatile Runnable notify = () -> { };

        SlowSink(Duration delay) {
            this.delay = delay;
        }

        /** Runs {@code action} once after the write that brings the total to {@code events} or more. */
        void onWritten(int events, Runnable action) {
            notifyAt = events;
            notify = action;
        }

        @Override
        public Mono<Void> write(List<RecordedEvent> batch) {
            return Mono.defer(() -> {
                mostConcurrent.accumulateAndGet(writing.incrementAndGet(), Math::max);
                Mono<Long> wait = delay.isZero() ? Mono.just(0L) : Mono.delay(delay);
                return wait.doOnNext(tick -> {
                    batches.add(batch.stream().map(RecordedEvent::position).toList());
                    writing.decrementAndGet();
                    if (positions().size() >= notifyAt) {
                        notifyAt = Integer.MAX_VALUE;
                        notify.run();
                    }
                }).then();
            });
        }

        List<List<Position>> batches() {
            return List.copyOf(batches);
        }

        List<Position> positions() {
            return batches.stream().flatMap(List::stream).toList();
        }

        List<Integer> batchSizes() {
            return batches.stream().map(List::size).toList();
        }

        int mostConcurrentWrites() {
            return mostConcurrent.get();
        }
    }

    /** Counts the events its subscriptions emit to the exporter. */
    static final class CountingStore extends ForwardingEventStore {
        private final AtomicLong emitted;

        CountingStore(EventStore store, AtomicLong emitted) {
            super(store);
            this.emitted = emitted;
        }

        @Override
        public Flux<RecordedEvent> subscribe(EventQuery query) {
            return delegate.subscribe(query).doOnNext(event -> emitted.incrementAndGet());
        }
    }
}
