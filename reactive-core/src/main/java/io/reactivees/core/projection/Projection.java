package io.reactivees.core.projection;

import io.reactivees.core.EventQuery;
import io.reactivees.core.RecordedEvent;
import java.util.Objects;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A read model fed by events: a stable name (its checkpoint key), the events it needs, and a
 * handler applied to each, in the global order. The handler may see an event again after a crash
 * (delivery is at least once), so it should be idempotent, e.g. an upsert keyed by the event.
 *
 * @param name the projection's stable name; non-blank
 * @param query the events it reads; its {@code after} is ignored (the checkpoint decides)
 * @param handler applies one event; completes when the event has taken effect
 */
public record Projection(String name, EventQuery query, Function<RecordedEvent, Mono<Void>> handler) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public Projection {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(query, "query must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }

    /**
     * @param name the projection's stable name
     * @param query the events it reads
     * @param handler applies one event
     * @return the projection
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static Projection of(String name, EventQuery query, Function<RecordedEvent, Mono<Void>> handler) {
        return new Projection(name, query, handler);
    }
}
