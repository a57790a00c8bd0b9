package io.reactivees.core;

import java.util.List;
import java.util.Objects;

/**
 * One stream's part of an atomic multi-stream {@link EventStore#appendAll}: the events to append
 * under a version condition. An entry with no events is a check only: it makes the whole commit
 * fail unless the stream meets {@code expected}, without writing to it.
 *
 * @param streamId the stream
 * @param expected the condition on the stream's version
 * @param events the events to append, in order; may be empty (check only); copied
 */
public record StreamAppend(StreamId streamId, ExpectedVersion expected, List<EventData> events) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if a part or an event is null
     * @throws IllegalArgumentException if two events share an id
     */
    public StreamAppend {
        Objects.requireNonNull(streamId, "streamId must not be null");
        Objects.requireNonNull(expected, "expected must not be null");
        Objects.requireNonNull(events, "events must not be null");
        events = List.copyOf(events);
        if (events.stream().map(EventData::eventId).distinct().count() != events.size()) {
            throw new IllegalArgumentException("events of one append must have distinct ids: " + streamId);
        }
    }

    /**
     * Returns an entry that appends {@code events}.
     *
     * @throws NullPointerException if an argument or an event is null
     * @throws IllegalArgumentException if two events share an id
     */
    public static StreamAppend of(StreamId streamId, ExpectedVersion expected, List<EventData> events) {
        return new StreamAppend(streamId, expected, events);
    }

    /**
     * Returns a check-only entry: the commit fails unless {@code streamId} meets {@code expected}.
     *
     * @throws NullPointerException if an argument is null
     */
    public static StreamAppend check(StreamId streamId, ExpectedVersion expected) {
        return new StreamAppend(streamId, expected, List.of());
    }

    /**
     * Returns this entry with other events (for a decorator that rewrites them, e.g. to add trace
     * context to their metadata), everything else kept.
     *
     * @param newEvents the events, with distinct ids
     * @return the new entry
     * @throws NullPointerException if {@code newEvents} or an event is null
     * @throws IllegalArgumentException if two events share an id
     */
    public StreamAppend withEvents(List<EventData> newEvents) {
        return new StreamAppend(streamId, expected, newEvents);
    }

    /** Tells whether this entry only checks the version and writes nothing. */
    public boolean isCheckOnly() {
        return events.isEmpty();
    }
}
