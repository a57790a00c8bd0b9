package io.reactivees.spring;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The application's {@link EventStore}: every operation first waits for the store to be prepared
 * (its schema migrated), so the application starts serving without blocking a thread on the
 * migration. Once prepared, waiting costs nothing; while the database cannot be prepared, each
 * operation tries the preparation again and fails with its error. Arguments are checked at call
 * time, by the underlying store.
 */
final class PreparedEventStore implements EventStore {

    private final EventStore delegate;
    private final Mono<Void> prepared;

    /**
     * @param delegate the store
     * @param prepared completes once the store is prepared; cached until it succeeds
     */
    PreparedEventStore(EventStore delegate, Mono<Void> prepared) {
        this.delegate = Objects.requireNonNull(delegate, "delegate must not be null");
        this.prepared = Objects.requireNonNull(prepared, "prepared must not be null");
    }

    /** @return the store this one waits in front of */
    EventStore delegate() {
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
