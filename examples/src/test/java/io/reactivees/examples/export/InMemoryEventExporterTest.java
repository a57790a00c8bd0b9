package io.reactivees.examples.export;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventStore;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The exporter on the in-memory store, and its batch timer on virtual time. */
class InMemoryEventExporterTest extends EventExporterContract {

    @Override
    protected EventStore store() {
        return InMemoryEventStore.create();
    }

    @Override
    protected CheckpointStore checkpoints() {
        return new InMemoryCheckpointStore();
    }

    @Test
    void aBatchThatDoesNotFillIsWrittenWhenItsFirstEventHasWaitedTheMaximumDelay() {
        EventStore store = store();
        AtomicLong received = new AtomicLong();
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        List<List<RecordedEvent>> written = new CopyOnWriteArrayList<>();
        Disposable run = EventExporter.builder("timed", new CountingStore(store, received), checkpoints(), batch -> Mono.fromRunnable(() -> written.add(batch)))
                .batches(100, Duration.ofMinutes(1))
                .timer(time)
                .build()
                .run(Mono.never())
                .subscribe();
        try {
            appendBatch(store, StreamId.of("export", "timed"), 3).block(TIMEOUT);
            // the batch's timer starts at its first event, on virtual time: wait (in real time) until all three arrived
            Mono.fromCallable(received::get).filter(count -> count == 3)
                    .repeatWhenEmpty(ticks -> ticks.delayElements(Duration.ofMillis(10)))
                    .block(TIMEOUT);
            time.advanceTimeBy(Duration.ofSeconds(59));
            assertEquals(List.of(), written, "not full, and not waited long enough");
            time.advanceTimeBy(Duration.ofSeconds(1));
            assertEquals(List.of(3), written.stream().map(List::size).toList(), "written after a minute");
        } finally {
            run.dispose();
        }
    }
}
