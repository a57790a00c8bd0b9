package io.reactivees.core;

import java.util.List;
import java.util.Objects;

/**
 * What {@link EventStore#load} and {@link EventStore#subscribe} read: the events that match any of
 * the filters (all events when there are none) and follow {@link #after()}. An event that matches
 * several filters is read once.
 *
 * @param filters the filters, OR-ed; empty means every event
 * @param after the position the events must follow (exclusive)
 */
public record EventQuery(List<EventFilter> filters, Position after) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if a part or a filter is null
     */
    public EventQuery {
        filters = List.copyOf(Objects.requireNonNull(filters, "filters must not be null"));
        Objects.requireNonNull(after, "after must not be null");
    }

    /** Every event, from the start. */
    public static EventQuery all() {
        return new EventQuery(List.of(), Position.START);
    }

    /**
     * The events matching any of {@code filters}, from the start.
     *
     * @throws NullPointerException if {@code filters} or one of them is null
     * @throws IllegalArgumentException if no filter is given
     */
    public static EventQuery of(EventFilter... filters) {
        Objects.requireNonNull(filters, "filters must not be null");
        if (filters.length == 0) {
            throw new IllegalArgumentException("at least one filter is required; use EventQuery.all() for every event");
        }
        return new EventQuery(List.of(filters), Position.START);
    }

    /**
     * Returns this query restricted to events after {@code position} (exclusive), e.g. the
     * position of the last event a subscriber processed.
     *
     * @throws NullPointerException if {@code position} is null
     */
    public EventQuery after(Position position) {
        return new EventQuery(filters, position);
    }

    /** Tells whether {@code event} is one this query reads. */
    public boolean matches(RecordedEvent event) {
        if (!event.position().isAfter(after)) {
            return false;
        }
        if (filters.isEmpty()) {
            return true;
        }
        for (EventFilter filter : filters) {
            if (filter.matches(event)) {
                return true;
            }
        }
        return false;
    }
}
