package io.reactivees.inmemory;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** The README's quickstart, verbatim, so the documentation cannot drift from the code. */
class ReadmeQuickstartTest {

    @Test
    void quickstart() {
        EventStore store = InMemoryEventStore.create();
        StreamId order = StreamId.of("order", "42");          // string form "order-42"

        // Append two events to a new stream; the Mono does nothing until subscribed.
        store.append(order, ExpectedVersion.noStream(), List.of(
                        EventData.of("order.placed", "{\"sku\": \"abc\", \"qty\": 2}"),
                        EventData.of("order.paid", "{\"amount\": 1990}")))
                .as(StepVerifier::create)
                .assertNext(result -> assertEquals(2, result.toVersion()))
                .expectComplete()
                .verify(Duration.ofSeconds(5));

        // A second writer that read version 1 loses: nothing of its batch is stored.
        store.append(order, ExpectedVersion.exact(1), List.of(EventData.of("order.cancelled", "{}")))
                .as(StepVerifier::create)
                .expectError(ConcurrencyConflictException.class)   // carries the actual version, 2
                .verify(Duration.ofSeconds(5));

        // Read the stream, or everything matching a query, in order and on demand.
        store.readStream(order).map(RecordedEvent::type)
                .as(StepVerifier::create)
                .expectNext("order.placed", "order.paid")
                .expectComplete()
                .verify(Duration.ofSeconds(5));

        // Subscribe: catch up, then follow live. Resume later with query.after(lastPosition).
        store.subscribe(EventQuery.of(EventFilter.forCategory("order")))
                .as(StepVerifier::create)
                .expectNextCount(2)                                  // the two stored events
                .then(() -> store.append(order, ExpectedVersion.exact(2),
                        List.of(EventData.of("order.shipped", "{}"))).subscribe())
                .assertNext(e -> assertEquals("order.shipped", e.type()))  // live
                .thenCancel()
                .verify(Duration.ofSeconds(5));
    }
}
