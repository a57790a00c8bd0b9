package io.reactivees.core;

import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An {@link EventStore} in front of another whose every operation first waits for that store to be
 * prepared (for PostgreSQL, its schema migrated), so that an application can start serving without
 * blocking a thread on the preparation. Once prepared, waiting costs nothing; while the store
 * cannot be prepared, each operation subscribes to the preparation again and fails with its error.
 * Arguments are checked at call time, by the underlying store. Each operation emits what the
 * underlying store's emits, and fails as it fails or as the preparation fails.
 */
public final class PreparedEventStore implements EventStore {

    private final EventStore delegate;
    private final Mono<Void> prepared;

    private PreparedEventStore(EventStore delegate, Mono<Void> prepared) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
        this.prepared = Objects.requireNonNull(prepared, "prepared must not be null");
    }

    /**
     * Returns {@code delegate} behind {@code prepared}.
     *
     * @param delegate the store
     * @param prepared completes once the store is prepared; it should be cached until it succeeds
     *     (e.g. {@code Mono.cache(done -> forever, error -> Duration.ZERO, ...)}), since every
     *     operation subscribes to it
     * @throws NullPointerException if an argument is null
     */
    public static PreparedEventStore of(EventStore delegate, Mono<Void> prepared) {
        return new PreparedEventStore(delegate, prepared);
    }

    /** Returns the store this one waits in front of. */
    public EventStore delegate() {
        return delegate;
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        Mono<AppendResult> append = delegate.append(stream, expected, events);
        return prepared.then(append);
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        Mono<List<AppendResult>> append = delegate.appendAll(appends);
        return prepared.then(append);
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
        Mono<AppendResult> append = delegate.append(stream, expected, events, condition);
        return prepared.then(append);
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
        Mono<List<AppendResult>> append = delegate.appendAll(appends, condition);
        return prepared.then(append);
    }

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        Mono<Long> version = delegate.streamVersion(stream);
        return prepared.then(version);
    }

    @Override
    public Mono<RecordedEvent> readEvent(UUID eventId) {
        Mono<RecordedEvent> read = delegate.readEvent(eventId);
        return prepared.then(read);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        Flux<RecordedEvent> read = delegate.readStream(stream, options);
        return prepared.thenMany(read);
    }

    @Override
    public Flux<RecordedEvent> load(EventQuery query) {
        Flux<RecordedEvent> load = delegate.load(query);
        return prepared.thenMany(load);
    }

    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        Flux<RecordedEvent> subscription = delegate.subscribe(query);
        return prepared.thenMany(subscription);
    }

    @Override
    public String toString() {
        return "PreparedEventStore[" + delegate + "]";
    }
}
