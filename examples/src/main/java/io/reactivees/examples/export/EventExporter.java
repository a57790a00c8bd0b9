package io.reactivees.examples.export;

import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.projection.CheckpointStore;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Exports the store's events to an {@link ExportSink}, in batches, resuming where it left off: a
 * plain Reactor pipeline over {@link EventStore#subscribe}, with no framework around it.
 *
 * <pre>{@code
 * checkpoint = checkpoints.load(name)                       // where the last run stopped
 * store.subscribe(query.after(checkpoint))                  // stored events, then live
 *      .bufferTimeout(maxBatchSize, maxBatchDelay, timer)   // a batch when full, or when it waited long enough
 *      .concatMap(batch -> sink.write(batch)                // one batch at a time: a slow sink holds reading back
 *              .then(checkpoints.save(name, last(batch))))  // only after the write
 * }</pre>
 *
 * <p>Nothing is lost: the checkpoint moves only after the sink has written the batch. Nothing is
 * repeated after a clean stop ({@link #run(Publisher)}'s stop signal): the events already read are
 * written and checkpointed before the run ends, and the next run starts after them. After a crash
 * between a write and its checkpoint, that one batch comes again (see {@link ExportSink}).
 *
 * <p>Backpressure runs end to end: the sink's pace sets how many batches are asked for, the batcher
 * asks the subscription for no more events than fit in the batches asked for (one being written and
 * one waiting), and the store's subscription reads pages as they are asked for (a live subscriber
 * that falls behind reads the tail on its own, rather than buffering without bound).
 */
public final class EventExporter {

    private final String name;
    private final EventStore store;
    private final CheckpointStore checkpoints;
    private final ExportSink sink;
    private final EventQuery query;
    private final int maxBatchSize;
    private final Duration maxBatchDelay;
    private final Scheduler timer;

    private EventExporter(Builder builder) {
        this.name = builder.name;
        this.store = builder.store;
        this.checkpoints = builder.checkpoints;
        this.sink = builder.sink;
        this.query = builder.query;
        this.maxBatchSize = builder.maxBatchSize;
        this.maxBatchDelay = builder.maxBatchDelay;
        this.timer = builder.timer;
    }

    /**
     * @param name the exporter's name, which keys its checkpoint; not blank
     * @param store where the events come from
     * @param checkpoints where the exporter remembers how far it got
     * @param sink where the events go
     * @return a builder with every event ({@link EventQuery#all()}), batches of at most 100 events or
     *     1 second, and the parallel scheduler as the batches' timer
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static Builder builder(String name, EventStore store, CheckpointStore checkpoints, ExportSink sink) {
        return new Builder(name, store, checkpoints, sink);
    }

    /** @return the exporter's name, the key of its checkpoint */
    public String name() {
        return name;
    }

    /**
     * Runs the export until {@code stop} signals.
     *
     * @param stop a publisher whose first signal (an element, completion or an error) stops the run
     *     cleanly: the events read so far are written and checkpointed, then the returned
     *     {@code Flux} completes
     * @return a cold {@code Flux} of the batches written, each emitted once its checkpoint is saved;
     *     subscribing loads the checkpoint and subscribes to the store after it; it fails with the
     *     store's, the sink's or the checkpoint store's error, and cancelling it stops at once (the
     *     batch being written may then come again at the next run)
     * @throws NullPointerException if {@code stop} is null
     */
    public Flux<ExportedBatch> run(Publisher<?> stop) {
        Objects.requireNonNull(stop, "stop must not be null");
        return checkpoints.load(name)
                .defaultIfEmpty(Position.START)
                .flatMapMany(after -> store.subscribe(query.after(after)).takeUntilOther(stop))
                // fair backpressure: a batch is emitted only when asked for, so a slow sink never
                // overflows the batcher; timed-out batches wait until the sink is ready
                .bufferTimeout(maxBatchSize, maxBatchDelay, timer, true)
                .concatMap(this::export, 1);
    }

    private Mono<ExportedBatch> export(List<RecordedEvent> batch) {
        Position last = batch.get(batch.size() - 1).position();
        return sink.write(List.copyOf(batch))
                .then(checkpoints.save(name, last))
                .thenReturn(new ExportedBatch(batch.size(), last));
    }

    @Override
    public String toString() {
        return "EventExporter[" + name + "]";
    }

    /** Builds an {@link EventExporter}; each setter checks its value at once. */
    public static final class Builder {

        private final String name;
        private final EventStore store;
        private final CheckpointStore checkpoints;
        private final ExportSink sink;
        private EventQuery query = EventQuery.all();
        private int maxBatchSize = 100;
        private Duration maxBatchDelay = Duration.ofSeconds(1);
        private Scheduler timer = Schedulers.parallel();

        private Builder(String name, EventStore store, CheckpointStore checkpoints, ExportSink sink) {
            this.name = Objects.requireNonNull(name, "name must not be null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints must not be null");
            this.sink = Objects.requireNonNull(sink, "sink must not be null");
        }

        /**
         * @param query the events to export; the exporter resumes it after its checkpoint
         * @return this builder
         * @throws NullPointerException if {@code query} is null
         */
        public Builder query(EventQuery query) {
            this.query = Objects.requireNonNull(query, "query must not be null");
            return this;
        }

        /**
         * @param maxBatchSize the most events in one batch
         * @param maxBatchDelay the longest an event waits for its batch to fill before the batch is
         *     written anyway
         * @return this builder
         * @throws NullPointerException if {@code maxBatchDelay} is null
         * @throws IllegalArgumentException if a value is not positive
         */
        public Builder batches(int maxBatchSize, Duration maxBatchDelay) {
            Objects.requireNonNull(maxBatchDelay, "maxBatchDelay must not be null");
            if (maxBatchSize <= 0) {
                throw new IllegalArgumentException("maxBatchSize must be positive: " + maxBatchSize);
            }
            if (maxBatchDelay.isZero() || maxBatchDelay.isNegative()) {
                throw new IllegalArgumentException("maxBatchDelay must be positive: " + maxBatchDelay);
            }
            this.maxBatchSize = maxBatchSize;
            this.maxBatchDelay = maxBatchDelay;
            return this;
        }

        /**
         * @param timer the clock of {@code maxBatchDelay} (a virtual-time scheduler in tests)
         * @return this builder
         * @throws NullPointerException if {@code timer} is null
         */
        public Builder timer(Scheduler timer) {
            this.timer = Objects.requireNonNull(timer, "timer must not be null");
            return this;
        }

        /** @return the exporter */
        public EventExporter build() {
            return new EventExporter(this);
        }
    }
}
