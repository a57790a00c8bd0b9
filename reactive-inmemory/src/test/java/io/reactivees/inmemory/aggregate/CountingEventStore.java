package io.reactivees.inmemory.aggregate;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** An {@link EventStore} that delegates everything and counts what {@code readStream} emits. */
final class CountingEventStore implements EventStore {

    private final EventStore delegate;
    private final AtomicLong eventsRead = new AtomicLong();
    private final List<ReadOptions> reads = new CopyOnWriteArrayList<>();

    CountingEventStore(EventStore delegate) {
        this.delegate = delegate;
    }

    /** The number of events every {@code readStream} so far has emitted. */
    long eventsRead() {
        return eventsRead.get();
    }

    /** The options of every {@code readStream} subscribed so far, in order. */
    List<ReadOptions> reads() {
        return new ArrayList<>(reads);
    }

    /** Forgets the counts. */
    void reset() {
        eventsRead.set(0);
        reads.clear();
    }

    @Override
    public Mono<RecordedEvent> readEvent(java.util.UUID eventId) {
        return delegate.readEvent(eventId);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        return delegate.readStream(stream, options)
                .doOnSubscribe(s -> reads.add(options))
                .doOnNext(e -> eventsRead.incrementAndGet());
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        return delegate.append(stream, expected, events);
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        return delegate.appendAll(appends);
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
        return delegate.append(stream, expected, events, condition);
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
        return delegate.appendAll(appends, condition);
    }

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        return delegate.streamVersion(stream);
    }

    @Override
    public Flux<RecordedEvent> load(EventQuery query) {
        return delegate.load(query);
    }

    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        return delegate.subscribe(query);
    }
}
