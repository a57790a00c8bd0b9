package io.reactivees.inmemory.aggregate;

import io.reactivees.core.EventStore;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.contract.ForwardingEventStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.publisher.Flux;

/** An {@link EventStore} that delegates everything and counts what {@code readStream} emits. */
final class CountingEventStore extends ForwardingEventStore {

    private final AtomicLong eventsRead = new AtomicLong();
    private final List<ReadOptions> reads = new CopyOnWriteArrayList<>();

    CountingEventStore(EventStore delegate) {
        super(delegate);
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
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        return delegate.readStream(stream, options)
                .doOnSubscribe(s -> reads.add(options))
                .doOnNext(e -> eventsRead.incrementAndGet());
    }

}
