package io.reactivees.spring.observation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.SenderContext;
import io.reactivees.core.AppendResult;
import io.reactivees.core.AppendCondition;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.AppendRules;
import io.reactivees.spring.observation.ReactiveesObservation.StoreKeys;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An {@link EventStore} in front of any other that observes its operations with Micrometer
 * ({@link ReactiveesObservation}: {@code append}, {@code appendAll}, {@code load},
 * {@code subscribe}; {@code streamVersion}, {@code readEvent} and {@code readStream} pass through
 * unobserved), writes the trace context of each append into its events' metadata (see below), and,
 * with a {@link MeterRegistry}, counts conflicts ({@code reactivees.conflicts}, by category) and
 * live subscriptions ({@code reactivees.subscriptions.active}).
 *
 * <p>Each operation emits and fails as the underlying store's does; arguments are checked at call
 * time, as the store does. An observation starts when the publisher is subscribed to and stops at
 * completion, error or cancellation.
 *
 * <p>Trace context: an append's observation is a {@link SenderContext}; a tracer's propagating
 * handler (Micrometer Tracing, as Spring Boot registers it with a tracer bridge) writes its
 * propagation fields (W3C {@code traceparent}, ...) into the context's carrier when the
 * observation starts, and they are added to the metadata of every event of the append. A
 * projection observed by {@link ObservedProjections} continues that trace. Without a tracer, the
 * events are stored as they are.
 */
public final class ObservedEventStore implements EventStore {

    private final EventStore delegate;
    private final ObservationRegistry registry;
    private final MeterRegistry meters; // null: no meters
    private final AtomicInteger activeSubscriptions = new AtomicInteger();

    private ObservedEventStore(EventStore delegate, ObservationRegistry registry, MeterRegistry meters) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        this.meters = meters;
        if (meters != null) {
            Gauge.builder("reactivees.subscriptions.active", activeSubscriptions, AtomicInteger::get)
                    .description("Subscriptions (EventStore.subscribe) going now, catching up or live")
                    .register(meters);
        }
    }

    /**
     * Returns {@code delegate} observed in {@code registry}, without meters of its own.
     *
     * @param delegate the store
     * @param registry where the observations go
     * @return the observed store
     * @throws NullPointerException if an argument is null
     */
    public static ObservedEventStore of(EventStore delegate, ObservationRegistry registry) {
        return new ObservedEventStore(delegate, registry, null);
    }

    /**
     * Returns {@code delegate} observed in {@code registry}, with its conflict counter and
     * subscription gauge in {@code meters}.
     *
     * @param delegate the store
     * @param registry where the observations go
     * @param meters where the meters go
     * @return the observed store
     * @throws NullPointerException if an argument is null
     */
    public static ObservedEventStore of(EventStore delegate, ObservationRegistry registry, MeterRegistry meters) {
        return new ObservedEventStore(delegate, registry, Objects.requireNonNull(meters, "meters must not be null"));
    }

    /** @return the store this one observes */
    public EventStore delegate() {
        return delegate;
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        AppendRules.requireValidAppend(stream, expected, events);
        return appendObserved(ReactiveesObservation.APPEND, stream.category(), typeOf(events),
                fields -> delegate.append(stream, expected, TraceMetadata.withTrace(events, fields)));
    }

    /** Observed as an append; a failed condition counts as a conflict. */
    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
        AppendRules.requireValidAppend(stream, expected, events);
        AppendRules.requireCondition(condition);
        return appendObserved(ReactiveesObservation.APPEND, stream.category(), typeOf(events),
                fields -> delegate.append(stream, expected, TraceMetadata.withTrace(events, fields), condition));
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        return appendAllObserved(checked, traced -> delegate.appendAll(traced));
    }

    /** Observed as an {@code appendAll}; a failed condition counts as a conflict. */
    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        AppendRules.requireCondition(condition);
        return appendAllObserved(checked, traced -> delegate.appendAll(traced, condition));
    }

    private Mono<List<AppendResult>> appendAllObserved(List<StreamAppend> checked, Function<List<StreamAppend>, Mono<List<AppendResult>>> appendAll) {
        Set<String> categories = new TreeSet<>();
        Set<String> types = new TreeSet<>();
        for (StreamAppend append : checked) {
            categories.add(append.streamId().category());
            append.events().forEach(event -> types.add(event.type()));
        }
        return appendObserved(ReactiveesObservation.APPEND_ALL, single(categories), single(types), fields -> appendAll.apply(
                fields.isEmpty() ? checked : checked.stream()
                        .map(append -> append.withEvents(TraceMetadata.withTrace(append.events(), fields)))
                        .toList()));
    }

    private <T> Mono<T> appendObserved(ReactiveesObservation documentation, String category, String type,
                                       Function<Map<String, String>, Mono<T>> append) {
        return Observed.mono(() -> {
            SenderContext<Map<String, String>> context = new SenderContext<>((carrier, key, value) -> carrier.put(key, value));
            context.setCarrier(new LinkedHashMap<>());
            context.setRemoteServiceName("reactivees");
            Observation observation = documentation.observation(registry, () -> context);
            Observed.key(observation, StoreKeys.CATEGORY, category);
            Observed.key(observation, StoreKeys.EVENT_TYPE, type);
            return observation;
        }, observation -> append.apply(carrierOf(observation)).doOnError(Observed::isConflict, e -> conflict(category)));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> carrierOf(Observation observation) {
        return observation.getContext() instanceof SenderContext<?> sender && sender.getCarrier() instanceof Map<?, ?> carrier
                ? (Map<String, String>) carrier
                : Map.of();
    }

    private void conflict(String category) {
        if (meters != null) {
            Counter.builder("reactivees.conflicts")
                    .description("Appends that failed their expected-version check or append condition")
                    .tag("category", category)
                    .register(meters)
                    .increment();
        }
    }

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        return delegate.streamVersion(stream);
    }

    @Override
    public Mono<RecordedEvent> readEvent(UUID eventId) {
        return delegate.readEvent(eventId);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        return delegate.readStream(stream, options);
    }

    @Override
    public Flux<RecordedEvent> load(EventQuery query) {
        Flux<RecordedEvent> load = delegate.load(query);
        return Observed.flux(() -> queryObservation(ReactiveesObservation.LOAD, query), observation -> load);
    }

    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        Flux<RecordedEvent> subscription = delegate.subscribe(query);
        return Observed.flux(() -> queryObservation(ReactiveesObservation.SUBSCRIBE, query), observation -> subscription
                .doOnSubscribe(s -> activeSubscriptions.incrementAndGet())
                .doFinally(signal -> activeSubscriptions.decrementAndGet()));
    }

    private Observation queryObservation(ReactiveesObservation documentation, EventQuery query) {
        Observation observation = documentation.observation(registry);
        Observed.key(observation, StoreKeys.CATEGORY, categoryOf(query));
        return observation;
    }

    /** The category a query reads: one, {@code mixed} for several, {@code all} when a filter spans every category. */
    static String categoryOf(EventQuery query) {
        Set<String> categories = new TreeSet<>();
        if (query.filters().isEmpty()) {
            return "all";
        }
        for (EventFilter filter : query.filters()) {
            String category = filter.category().orElseGet(() -> filter.stream().map(StreamId::category).orElse(null));
            if (category == null) {
                return "all";
            }
            categories.add(category);
        }
        return single(categories);
    }

    private static String typeOf(List<EventData> events) {
        String type = events.get(0).type();
        for (EventData event : events) {
            if (!event.type().equals(type)) {
                return "mixed";
            }
        }
        return type;
    }

    private static String single(Set<String> values) {
        return values.size() == 1 ? values.iterator().next() : values.isEmpty() ? "none" : "mixed";
    }

    @Override
    public String toString() {
        return "ObservedEventStore[" + delegate + "]";
    }
}
