package io.reactivees.core.decision;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs decisions over the dynamic consistency boundary. A decision names the
 * {@link DecisionProjection}s it needs; the model loads each one's events (its query, in the
 * global order), folds them into its state, and hands the states to the decision, which returns the
 * new events (or fails with a domain error). The model appends them under the combined
 * {@link AppendCondition} "no event any projection's query matches after the position it read up
 * to", so a decision taken on facts that have changed since fails with
 * {@link io.reactivees.core.AppendConditionFailedException}; the model then reads and decides again,
 * under its {@link RetryPolicy}. A domain error is never retried, and a decision of no events
 * appends nothing.
 *
 * <pre>{@code
 * DecisionModel<CourseEvent> model = DecisionModel.builder(store, serializer, CourseEvent.class)
 *         .streamOf(event -> StreamId.of("course", event.courseId()))
 *         .tagsOf(CourseEvent::tags)
 *         .build();
 * model.decide(List.of(capacity, enrolled), states -> ...);
 * }</pre>
 *
 * <p>Where events go: each event goes to the stream {@link Builder#streamOf} names, with
 * {@link ExpectedVersion#any()} (the condition, not the stream, guards the decision), and carries the
 * tags {@link Builder#tagsOf} gives it. Events of one decision that go to several streams are
 * appended in one {@link EventStore#appendAll} commit. Choose streams per entity (one per course,
 * per reservation), not one for everything: a stream is a lock on PostgreSQL, and decisions on
 * disjoint facts should not wait for each other on it.
 *
 * <p>Every event a decision appends carries the {@link CommandMetadata} of the Reactor context
 * (correlation and causation ids, user, custom entries) as its metadata, as an aggregate command's
 * do. A command id there is not used: decisions are not made idempotent by command id (their event
 * ids are random), so a decision sent twice decides twice, and the second usually fails its
 * condition or its own rule.
 *
 * <p>Thread-safe and immutable; every method is cold.
 *
 * @param <E> the event type
 */
public final class DecisionModel<E> {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final EventStore store;
    private final EventSerializer serializer;
    private final Class<E> eventType;
    private final Function<? super E, StreamId> streamOf;
    private final Function<? super E, ? extends Collection<String>> tagsOf;
    private final RetryPolicy retryPolicy;
    private final Scheduler scheduler;

    private DecisionModel(Builder<E> builder) {
        this.store = builder.store;
        this.serializer = builder.serializer;
        this.eventType = builder.eventType;
        this.streamOf = builder.streamOf;
        this.tagsOf = builder.tagsOf;
        this.retryPolicy = builder.retryPolicy;
        this.scheduler = builder.scheduler;
    }

    /**
     * Returns a builder; {@link Builder#streamOf} must be set before {@link Builder#build()}.
     *
     * @param store where the events are read and appended
     * @param serializer the serializer that knows the events
     * @param eventType the events' common type; a stored event of another type fails the decision
     * @throws NullPointerException if an argument is null
     */
    public static <E> Builder<E> builder(EventStore store, EventSerializer serializer, Class<E> eventType) {
        return new Builder<>(store, serializer, eventType);
    }

    /**
     * Runs a decision over one projection.
     *
     * @param projection what the decision reads
     * @param decision the new events from the projection's state; may throw a domain error
     * @return a cold {@code Mono} of the result; see {@link #decideAsync}
     * @throws NullPointerException if an argument is null
     */
    public <S> Mono<DecisionResult<E>> decide(DecisionProjection<S, E> projection, Function<S, List<E>> decision) {
        Objects.requireNonNull(projection, "projection must not be null");
        Objects.requireNonNull(decision, "decision must not be null");
        return decide(List.of(projection), states -> decision.apply(states.get(projection)));
    }

    /**
     * Runs a decision over several projections, each read with its own query.
     *
     * @param projections what the decision reads; at least one
     * @param decision the new events from the states; may throw a domain error
     * @return a cold {@code Mono} of the result; see {@link #decideAsync}
     * @throws NullPointerException if an argument or a projection is null
     * @throws IllegalArgumentException if {@code projections} is empty
     */
    public Mono<DecisionResult<E>> decide(List<? extends DecisionProjection<?, E>> projections, Function<DecisionStates, List<E>> decision) {
        Objects.requireNonNull(decision, "decision must not be null");
        return decideAsync(projections, states -> Mono.fromCallable(() -> decision.apply(states)));
    }

    /**
     * Runs a decision that needs I/O to decide (it returns a {@code Mono} of the new events).
     *
     * @param projections what the decision reads; at least one
     * @param decision the new events from the states, or a domain error, as a {@code Mono}
     * @return a cold {@code Mono} that reads, decides and appends on subscription, and again after a
     *     conflict, and emits the result. It fails with the decision's own error (not retried); with
     *     {@link io.reactivees.core.AppendConditionFailedException} (or a
     *     {@link io.reactivees.core.ConcurrencyConflictException}) when conflicts outlast the retry
     *     policy; with {@link io.reactivees.core.EventDecodingException} or {@link ClassCastException}
     *     when a selected event cannot be decoded as {@code E}; and with the store's errors. Whenever
     *     it fails, nothing was appended.
     * @throws NullPointerException if an argument or a projection is null
     * @throws IllegalArgumentException if {@code projections} is empty
     */
    public Mono<DecisionResult<E>> decideAsync(List<? extends DecisionProjection<?, E>> projections,
                                               Function<DecisionStates, Mono<List<E>>> decision) {
        Objects.requireNonNull(projections, "projections must not be null");
        Objects.requireNonNull(decision, "decision must not be null");
        List<DecisionProjection<?, E>> reads = List.copyOf(projections);
        if (reads.isEmpty()) {
            throw new IllegalArgumentException("a decision reads at least one projection");
        }
        return Mono.deferContextual(context -> {
            byte[] metadata = JSON.writeValueAsBytes(CommandMetadata.from(context).withoutCommandId().asMap());
            AtomicInteger attempts = new AtomicInteger();
            return Mono.defer(() -> attempt(reads, decision, metadata, attempts.incrementAndGet()))
                    .retryWhen(retryPolicy.onConflictOrFailedCondition().scheduler(scheduler));
        });
    }

    private Mono<DecisionResult<E>> attempt(List<DecisionProjection<?, E>> reads, Function<DecisionStates, Mono<List<E>>> decision,
                                            byte[] metadata, int attempt) {
        Map<DecisionProjection<?, ?>, Object> states = new IdentityHashMap<>();
        Map<DecisionProjection<?, ?>, Position> positions = new IdentityHashMap<>();
        return Flux.fromIterable(reads)
                .concatMap(projection -> read(projection).doOnNext(read -> {
                    states.put(projection, read.state());
                    positions.put(projection, read.position());
                }))
                .then(Mono.fromCallable(() -> new DecisionStates(states, positions)))
                .flatMap(seen -> decision.apply(seen)
                        .switchIfEmpty(Mono.error(() -> new NullPointerException("the decision emitted no list of events")))
                        .flatMap(events -> append(reads, seen, List.copyOf(events), metadata)
                                .map(appends -> new DecisionResult<>(seen, events, appends, attempt))));
    }

    private record Read(Object state, Position position) {}

    private <S> Mono<Read> read(DecisionProjection<S, E> projection) {
        Position[] last = {projection.query().after()};
        return store.load(projection.query())
                .reduce(projection.initialState(), (state, recorded) -> {
                    last[0] = recorded.position();
                    return projection.evolve(state, decode(recorded));
                })
                .map(state -> new Read(state, last[0]));
    }

    private E decode(RecordedEvent recorded) {
        return serializer.deserialize(recorded, eventType);
    }

    private Mono<List<AppendResult>> append(List<DecisionProjection<?, E>> reads, DecisionStates seen, List<E> events, byte[] metadata) {
        if (events.isEmpty()) {
            return Mono.just(List.of());
        }
        AppendCondition condition = null;
        for (DecisionProjection<?, E> projection : reads) {
            AppendCondition part = AppendCondition.failIfEventsMatch(projection.query()).after(seen.position(projection));
            condition = condition == null ? part : condition.and(part);
        }
        List<StreamAppend> appends = toAppends(events, metadata);
        return appends.size() == 1
                ? store.append(appends.get(0).streamId(), ExpectedVersion.any(), appends.get(0).events(), condition).map(List::of)
                : store.appendAll(appends, condition);
    }

    /**
     * The appends this model makes of {@code events}: each serialized and tagged, grouped by stream
     * in the order of first appearance (each stream's events in their order), with
     * {@link ExpectedVersion#any()}. For writing history a decision would have written, e.g. in tests
     * or imports, with {@link EventStore#appendAll}.
     *
     * @throws NullPointerException if the list or an event is null, or the model's functions answer null
     * @throws IllegalArgumentException if {@code events} is empty, or a tag is invalid
     */
    public List<StreamAppend> toAppends(List<E> events) {
        return toAppends(events, EMPTY_METADATA);
    }

    private static final byte[] EMPTY_METADATA = {'{', '}'};

    private List<StreamAppend> toAppends(List<E> events, byte[] metadata) {
        Objects.requireNonNull(events, "events must not be null");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("events must not be empty");
        }
        Map<StreamId, List<EventData>> byStream = new LinkedHashMap<>();
        for (E event : events) {
            Objects.requireNonNull(event, "an event must not be null");
            StreamId stream = Objects.requireNonNull(streamOf.apply(event), "streamOf must not answer null");
            EventData data = serializer.serialize(event, UUID.randomUUID(), metadata).withTags(Objects.requireNonNull(tagsOf.apply(event), "tagsOf must not answer null"));
            byStream.computeIfAbsent(stream, s -> new ArrayList<>()).add(data);
        }
        List<StreamAppend> appends = new ArrayList<>(byStream.size());
        byStream.forEach((stream, data) -> appends.add(StreamAppend.of(stream, ExpectedVersion.any(), data)));
        return List.copyOf(appends);
    }

    /**
     * Builds a {@link DecisionModel}.
     *
     * @param <E> the event type
     */
    public static final class Builder<E> {
        private final EventStore store;
        private final EventSerializer serializer;
        private final Class<E> eventType;
        private Function<? super E, StreamId> streamOf;
        private Function<? super E, ? extends Collection<String>> tagsOf = event -> List.of();
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private Scheduler scheduler = Schedulers.parallel();

        private Builder(EventStore store, EventSerializer serializer, Class<E> eventType) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
            this.eventType = Objects.requireNonNull(eventType, "eventType must not be null");
        }

        /**
         * Sets the stream each new event goes to (required).
         *
         * @throws NullPointerException if {@code streamOf} is null
         */
        public Builder<E> streamOf(Function<? super E, StreamId> streamOf) {
            this.streamOf = Objects.requireNonNull(streamOf, "streamOf must not be null");
            return this;
        }

        /**
         * Sets the tags each new event carries; none by default.
         *
         * @throws NullPointerException if {@code tagsOf} is null
         */
        public Builder<E> tagsOf(Function<? super E, ? extends Collection<String>> tagsOf) {
            this.tagsOf = Objects.requireNonNull(tagsOf, "tagsOf must not be null");
            return this;
        }

        /**
         * Sets how failed conditions and conflicts are retried; {@link RetryPolicy#defaults()} otherwise.
         *
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder<E> retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
            return this;
        }

        /**
         * Sets where the retry backoff waits; {@link Schedulers#parallel()} otherwise.
         *
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder<E> scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Returns the model.
         *
         * @throws IllegalStateException if {@link #streamOf} was not set
         */
        public DecisionModel<E> build() {
            if (streamOf == null) {
                throw new IllegalStateException("streamOf must be set: the stream each new event goes to");
            }
            return new DecisionModel<>(this);
        }
    }
}
