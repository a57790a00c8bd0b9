package io.reactivees.core.aggregate;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.snapshot.Snapshot;
import io.reactivees.core.snapshot.Snapshotter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.retry.Retry;
import tools.jackson.databind.json.JsonMapper;

/**
 * Loads aggregates from their streams and runs commands against them with optimistic concurrency:
 * load the state, decide, append with {@code exact(version)}; on a {@link ConcurrencyConflictException}
 * reload and decide again, under the {@link RetryPolicy}. A domain error from the command is never
 * retried, and a command that decides no events writes nothing.
 *
 * <p>Every event a command appends carries the {@link CommandMetadata} found in the Reactor context
 * as its metadata. Every method returns a cold {@code Mono}: nothing is read or written before
 * subscription.
 *
 * <p>With a {@link Snapshotter} ({@link Builder#snapshots}), loading starts from the stream's latest
 * snapshot and replays only the events after it. A snapshot is used only if it is of the
 * snapshotter's schema version, decodes, and is not ahead of the stream; otherwise (and when the
 * snapshot store fails) the stream is replayed in full, so a snapshot is never the source of truth.
 * The tail is read from the snapshot's own version: the first event read proves the stream reached
 * it and is not applied again. After a command appends events, a snapshot of the new state is offered
 * under the snapshotter's policy, counting the events since the snapshot the command started from;
 * the command's {@code Mono} completes after that write, and a failing write is logged and never
 * fails the command. A command that appends nothing writes no snapshot.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class AggregateRepository<S, E> {

    private static final JsonMapper METADATA_JSON = JsonMapper.builder().build();
    private static final Logger LOG = Loggers.getLogger(AggregateRepository.class);

    private enum Mode { CREATE, UPDATE, EXECUTE }

    private final EventStore store;
    private final EventSerializer serializer;
    private final AggregateType<S, E> type;
    private final RetryPolicy retryPolicy;
    private final Scheduler scheduler;
    private final Snapshotter<S> snapshotter; // null without snapshots

    private AggregateRepository(Builder<S, E> builder) {
        this.store = builder.store;
        this.serializer = builder.serializer;
        this.type = builder.type;
        this.retryPolicy = builder.retryPolicy;
        this.scheduler = builder.scheduler;
        this.snapshotter = builder.snapshotter;
    }

    /**
     * Returns a builder.
     *
     * @param store where the streams are
     * @param serializer maps the aggregate's events to stored events and back
     * @param type the aggregate type
     * @return the builder
     * @throws NullPointerException if an argument is null
     */
    public static <S, E> Builder<S, E> builder(EventStore store, EventSerializer serializer, AggregateType<S, E> type) {
        return new Builder<>(store, serializer, type);
    }

    /** @return the aggregate type this repository serves */
    public AggregateType<S, E> type() {
        return type;
    }

    /**
     * Loads an aggregate by replaying its stream, from its latest usable snapshot when there is a
     * {@link Snapshotter}.
     *
     * @param id the aggregate id
     * @return a cold {@code Mono} of the state, with version 0 and the initial state when the stream
     *     does not exist; it fails with {@link io.reactivees.core.EventDecodingException} when an event
     *     cannot be decoded, and with the event store's errors (never with the snapshot store's)
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<AggregateState<S>> load(String id) {
        StreamId streamId = type.streamId(id);
        return Mono.defer(() -> replay(streamId)).map(Loaded::current);
    }

    /**
     * Creates an aggregate: runs {@code command} on the initial state and appends with
     * {@code noStream()}.
     *
     * @param id the new aggregate's id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails with {@link AggregateAlreadyExistsException}
     *     when the stream exists (also when it was created concurrently; this is never retried), with
     *     the command's domain error, or with the store's errors
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> create(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.CREATE);
    }

    /**
     * Runs a command against an existing aggregate.
     *
     * @param id the aggregate id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails with {@link AggregateNotFoundException} when
     *     the stream does not exist, with the command's domain error, with
     *     {@link ConcurrencyConflictException} when conflicts outlast the retry policy, or with the
     *     store's errors
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> update(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.UPDATE);
    }

    /**
     * Runs a command whether or not the aggregate exists (the command sees the initial state when
     * it does not).
     *
     * @param id the aggregate id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails like {@link #update} except that a missing
     *     stream is not an error
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> execute(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.EXECUTE);
    }

    private Mono<CommandResult<S, E>> run(StreamId streamId, Command<S, E> command, Mode mode) {
        Objects.requireNonNull(command, "command must not be null");
        return Mono.deferContextual(context -> {
            byte[] metadata = METADATA_JSON.writeValueAsBytes(CommandMetadata.from(context).asMap());
            AtomicInteger attempts = new AtomicInteger();
            return Mono.defer(() -> {
                        int attempt = attempts.incrementAndGet();
                        return replay(streamId).flatMap(loaded -> attempt(loaded, command, mode, metadata, attempt));
                    })
                    .retryWhen(retrySpec());
        });
    }

    private Mono<CommandResult<S, E>> attempt(Loaded<S> loaded, Command<S, E> command, Mode mode, byte[] metadata, int attempt) {
        AggregateState<S> current = loaded.current();
        if (mode == Mode.CREATE && current.exists()) {
            return Mono.error(new AggregateAlreadyExistsException(current.streamId()));
        }
        if (mode == Mode.UPDATE && !current.exists()) {
            return Mono.error(new AggregateNotFoundException(current.streamId()));
        }
        return command.decide(current.state())
                .defaultIfEmpty(List.of())
                .flatMap(decided -> {
                    List<E> events = List.copyOf(decided);
                    if (events.isEmpty()) {
                        return Mono.just(new CommandResult<S, E>(current.streamId(), current.state(), current.version(), events, null, attempt));
                    }
                    List<EventData> data = new ArrayList<>(events.size());
                    S state = current.state();
                    for (E event : events) {
                        data.add(serializer.serialize(type.eventType().cast(event), UUID.randomUUID(), metadata));
                        state = type.evolve(state, event);
                    }
                    S after = state;
                    ExpectedVersion expected = mode == Mode.CREATE ? ExpectedVersion.noStream() : ExpectedVersion.exact(current.version());
                    return store.append(current.streamId(), expected, data)
                            .map(appended -> new CommandResult<>(current.streamId(), after, appended.toVersion(), events, appended, attempt))
                            .onErrorMap(e -> mode == Mode.CREATE && e instanceof ConcurrencyConflictException,
                                    e -> new AggregateAlreadyExistsException(current.streamId()))
                            .flatMap(result -> offerSnapshot(result, loaded.snapshotVersion()).thenReturn(result));
                });
    }

    /** Offers a snapshot of a command's result; never fails: a snapshot is an optimisation. */
    private Mono<Boolean> offerSnapshot(CommandResult<S, E> result, long snapshotVersion) {
        if (snapshotter == null) {
            return Mono.just(false);
        }
        return Mono.defer(() -> snapshotter.offer(result.streamId(), result.version(), result.state(), result.version() - snapshotVersion))
                .onErrorResume(e -> {
                    LOG.warn("Could not write a snapshot of {} at version {}; the command succeeded: {}",
                            result.streamId(), result.version(), e.toString());
                    return Mono.just(false);
                });
    }

    private Mono<Loaded<S>> replay(StreamId streamId) {
        if (snapshotter == null) {
            return replayAll(streamId);
        }
        return snapshotter.load(streamId)
                .onErrorResume(e -> {
                    LOG.warn("Could not load the snapshot of {}; replaying it in full: {}", streamId, e.toString());
                    return Mono.empty();
                })
                .flatMap(this::replayAfter)
                .switchIfEmpty(Mono.defer(() -> replayAll(streamId)));
    }

    private Mono<Loaded<S>> replayAll(StreamId streamId) {
        return store.readStream(streamId)
                .reduce(new AggregateState<>(streamId, type.initialState(), 0), this::apply)
                .map(state -> new Loaded<>(state, 0));
    }

    /**
     * Replays the events after a snapshot, reading from the snapshot's own version so that the same
     * read proves the stream has reached it; empty when the snapshot is ahead of the stream.
     */
    private Mono<Loaded<S>> replayAfter(Snapshot<S> snapshot) {
        StreamId streamId = snapshot.streamId();
        long version = snapshot.streamVersion();
        return store.readStream(streamId, ReadOptions.forwards().fromVersion(version))
                .reduce(new Tail<>(new AggregateState<>(streamId, snapshot.state(), version), false),
                        (tail, recorded) -> recorded.streamVersion() <= version
                                ? new Tail<>(tail.state(), tail.reached() || recorded.streamVersion() == version)
                                : new Tail<>(apply(tail.state(), recorded), tail.reached()))
                .flatMap(tail -> {
                    if (tail.reached()) {
                        return Mono.just(new Loaded<>(tail.state(), version));
                    }
                    LOG.warn("Ignoring snapshot of {} at version {}: the stream has not reached that version; replaying it in full",
                            streamId, version);
                    return Mono.empty();
                });
    }

    private AggregateState<S> apply(AggregateState<S> state, RecordedEvent recorded) {
        return new AggregateState<>(state.streamId(),
                type.evolve(state.state(), serializer.deserialize(recorded, type.eventType())),
                recorded.streamVersion());
    }

    /** A loaded state and the version of the snapshot it started from (0 for a full replay). */
    private record Loaded<S>(AggregateState<S> current, long snapshotVersion) {}

    /** A replay from a snapshot: the state so far, and whether the snapshot's own event was seen. */
    private record Tail<S>(AggregateState<S> state, boolean reached) {}

    private Retry retrySpec() {
        return retryPolicy.onConflict().scheduler(scheduler);
    }

    /**
     * Builds an {@link AggregateRepository}.
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    public static final class Builder<S, E> {
        private final EventStore store;
        private final EventSerializer serializer;
        private final AggregateType<S, E> type;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private Scheduler scheduler = Schedulers.parallel();
        private Snapshotter<S> snapshotter;

        private Builder(EventStore store, EventSerializer serializer, AggregateType<S, E> type) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
            this.type = Objects.requireNonNull(type, "type must not be null");
        }

        /**
         * @param policy how conflicts are retried; {@link RetryPolicy#defaults()} otherwise
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder<S, E> retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
            return this;
        }

        /**
         * @param scheduler where retry backoff waits; {@link Schedulers#parallel()} otherwise
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder<S, E> scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Loads aggregates from snapshots and takes new ones; without this, every load replays the
         * whole stream.
         *
         * @param snapshotter the snapshot store, policy, type name, schema version and state codec
         * @return this builder
         * @throws NullPointerException if {@code snapshotter} is null
         * @throws IllegalArgumentException if the aggregate's initial state is not an instance of the
         *     snapshotter's state class
         */
        public Builder<S, E> snapshots(Snapshotter<S> snapshotter) {
            Objects.requireNonNull(snapshotter, "snapshotter must not be null");
            if (!snapshotter.stateClass().isInstance(type.initialState())) {
                throw new IllegalArgumentException("the snapshotter decodes states as " + snapshotter.stateClass().getName()
                        + ", but the initial state of " + type + " is a " + type.initialState().getClass().getName());
            }
            this.snapshotter = snapshotter;
            return this;
        }

        /** @return the repository */
        public AggregateRepository<S, E> build() {
            return new AggregateRepository<>(this);
        }
    }
}
