package io.reactivees.inmemory;

import io.reactivees.core.RecordedEvent;
import java.util.ArrayDeque;
import java.util.List;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Turns a page source into a backpressured {@code Flux}: the next page is read only when the
 * previous one has been emitted and more is requested, so a reader holds one page at most.
 */
final class Pages {

    /**
     * One page of a read.
     *
     * @param events the events, in order
     * @param nextCommit for a live read at the head of the log with nothing new: completes on the
     *     next commit; otherwise null
     * @param last whether the read ends after these events
     */
    record Page(List<RecordedEvent> events, Sinks.Empty<Void> nextCommit, boolean last) {}

    private Pages() {}

    /** Emits the pages' events one by one on demand until a page says it is the last. */
    static Flux<RecordedEvent> of(Supplier<Page> source) {
        return Flux.generate(Buffer::new, (buffer, sink) -> {
            while (buffer.events.isEmpty() && !buffer.last) {
                Page page = source.get();
                buffer.events.addAll(page.events());
                buffer.last = page.last();
            }
            RecordedEvent next = buffer.events.poll();
            if (next != null) {
                sink.next(next);
            }
            // Complete with the last event, not on a later request that may never come.
            if (buffer.events.isEmpty() && buffer.last) {
                sink.complete();
            }
            return buffer;
        });
    }

    private static final class Buffer {
        final ArrayDeque<RecordedEvent> events = new ArrayDeque<>();
        boolean last;
    }
}
