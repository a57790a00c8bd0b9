package io.reactivees.core;

import java.util.Objects;
import java.util.Optional;

/**
 * Selects events by type, stream or category, optionally only those after a position. A filter
 * names at least one of type, stream and category; naming several means all must match. Combine
 * filters in an {@link EventQuery}, where they are OR-ed.
 *
 * <p>Create one with {@link #forType}, {@link #forStream}, {@link #forCategory},
 * {@link #forTypeInStream} or {@link #forTypeInCategory}; restrict it with {@link #after}.
 */
public final class EventFilter {

    private final String type;
    private final StreamId stream;
    private final String category;
    private final Position after;

    private EventFilter(String type, StreamId stream, String category, Position after) {
        this.type = type;
        this.stream = stream;
        this.category = category;
        this.after = Objects.requireNonNull(after, "after must not be null");
    }

    /**
     * Matches events of the given type.
     *
     * @throws NullPointerException if {@code type} is null
     * @throws IllegalArgumentException if {@code type} is blank
     */
    public static EventFilter forType(String type) {
        return new EventFilter(requireType(type), null, null, Position.START);
    }

    /**
     * Matches the events of one stream.
     *
     * @throws NullPointerException if {@code stream} is null
     */
    public static EventFilter forStream(StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        return new EventFilter(null, stream, null, Position.START);
    }

    /**
     * Matches the events of every stream of a category.
     *
     * @throws NullPointerException if {@code category} is null
     * @throws IllegalArgumentException if {@code category} is blank or contains {@code -}
     */
    public static EventFilter forCategory(String category) {
        return new EventFilter(null, null, StreamId.of(category, "x").category(), Position.START);
    }

    /**
     * Matches the events of one type in one stream.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code type} is blank
     */
    public static EventFilter forTypeInStream(String type, StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        return new EventFilter(requireType(type), stream, null, Position.START);
    }

    /**
     * Matches the events of one type in every stream of a category.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code type} or {@code category} is blank, or the category
     *     contains {@code -}
     */
    public static EventFilter forTypeInCategory(String type, String category) {
        return new EventFilter(requireType(type), null, StreamId.of(category, "x").category(), Position.START);
    }

    /**
     * Returns this filter restricted to events after {@code position} (exclusive).
     *
     * @throws NullPointerException if {@code position} is null
     */
    public EventFilter after(Position position) {
        return new EventFilter(type, stream, category, position);
    }

    /** The type this filter requires, if any. */
    public Optional<String> type() {
        return Optional.ofNullable(type);
    }

    /** The stream this filter requires, if any. */
    public Optional<StreamId> stream() {
        return Optional.ofNullable(stream);
    }

    /** The category this filter requires, if any. */
    public Optional<String> category() {
        return Optional.ofNullable(category);
    }

    /** The position an event must follow; {@link Position#START} when unrestricted. */
    public Position after() {
        return after;
    }

    /** Tells whether {@code event} passes this filter. */
    public boolean matches(RecordedEvent event) {
        return event.position().isAfter(after)
                && (type == null || type.equals(event.type()))
                && (stream == null || stream.equals(event.streamId()))
                && (category == null || category.equals(event.streamId().category()));
    }

    private static String requireType(String type) {
        Objects.requireNonNull(type, "type must not be null");
        if (type.isBlank()) {
            throw new IllegalArgumentException("type must not be blank");
        }
        return StoredText.require(type, "type");
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventFilter other
                && Objects.equals(type, other.type)
                && Objects.equals(stream, other.stream)
                && Objects.equals(category, other.category)
                && after.equals(other.after);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, stream, category, after);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("EventFilter[");
        if (type != null) {
            s.append("type=").append(type).append(' ');
        }
        if (stream != null) {
            s.append("stream=").append(stream).append(' ');
        }
        if (category != null) {
            s.append("category=").append(category).append(' ');
        }
        return s.append("after=").append(after).append(']').toString();
    }
}
