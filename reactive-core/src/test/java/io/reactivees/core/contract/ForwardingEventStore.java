package io.reactivees.core.contract;

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
import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** An {@link EventStore} that forwards every call; tests of every module (through the test-jar) override what they disturb or count. */
public class ForwardingEventStore implements EventStore {

    protected final EventStore delegate;

    /** @param delegate the store every call goes to */
    public ForwardingEventStore(EventStore delegate) {
        this.delegate = delegate;
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
    public Mono<RecordedEvent> readEvent(UUID eventId) {
        return delegate.readEvent(eventId);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        return delegate.readStream(stream, options);
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
