package io.reactivees.examples.export;

import io.reactivees.core.RecordedEvent;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * Where an {@link EventExporter} writes: a file, a message broker, another database, a search
 * index. The exporter writes one batch at a time and waits for it, so a slow sink slows the
 * exporter (and through backpressure its reading) instead of piling batches up in memory.
 *
 * <p>Batches come in the global order, each after the previous one's {@code Mono} completed. After
 * a clean stop the exporter resumes right after the last batch written. After a crash between a
 * write and the checkpoint that follows it, the batch comes again: a sink that must never hold an
 * event twice keys what it writes by {@link RecordedEvent#eventId()} or
 * {@link RecordedEvent#position()} (an upsert, or "skip positions at or before the last one held").
 */
@FunctionalInterface
public interface ExportSink {

    /**
     * Writes one batch.
     *
     * @param batch the events, in the global order; never empty
     * @return a cold {@code Mono} that completes once the batch is durably written, or fails; a
     *     failure stops the exporter with it, and its checkpoint stays before the batch
     */
    Mono<Void> write(List<RecordedEvent> batch);
}
