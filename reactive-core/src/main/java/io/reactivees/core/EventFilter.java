package io.reactivees.core;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Selects events by type, stream, category or tags, optionally only those after a position. A
 * filter names at least one of type, stream, category and tag; naming several means all must match,
 * and an event matches the tags when it carries every one of them (it may carry more). Combine
 * filters in an {@link EventQuery}, where they are OR-ed.
 *
 * <p>Create one with {@link #forType}, {@link #forStream}, {@link #forCategory},
 * {@link #forTypeInStream}, {@link #forTypeInCategory} or {@link #forTags}; require tags of any of
 * them with {@link #tagged}; restrict it with {@link #after}.
 *
 * <p>A query item of the dynamic consistency boundary (dcb.events: some types, all of some tags) is
 * one filter per type, each {@linkplain #tagged tagged} alike, or one {@link #forTags} filter when
 * it names no type:
 *
 * <pre>{@code
 * EventQuery.of(EventFilter.forType("seat.reserved").tagged("seat:12A"),
 *               EventFilter.forType("seat.released").tagged("seat:12A"));
 * }</pre>
 */
public final class EventFilter {

    private final String type;
    private final StreamId stream;
    private final String category;
    private final Set<String> tags;
    private final Position after;

    private EventFilter(String type, StreamId stream, String category, Position after) {
        this(type, stream, category, Tags.none(), after);
    }

    private EventFilter(String type, StreamId stream, String category, Set<String> tags, Position after) {
        this.type = type;
        this.stream = stream;
        this.category = category;
        this.tags = tags;
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
     * Matches the events that carry every one of {@code tags} (and maybe more), of any type.
     *
     * @throws NullPointerException if {@code tags} or a tag is null
     * @throws IllegalArgumentException if no tag is given or a tag is blank
     */
    public static EventFilter forTags(String... tags) {
        return new EventFilter(null, null, null, requireTags(tags), Position.START);
    }

    /**
     * Returns this filter also requiring every one of {@code tags}, besides those it requires already.
     *
     * @throws NullPointerException if {@code tags} or a tag is null
     * @throws IllegalArgumentException if no tag is given or a tag is blank
     */
    public EventFilter tagged(String... tags) {
        TreeSet<String> all = new TreeSet<>(this.tags);
        all.addAll(requireTags(tags));
        return new EventFilter(type, stream, category, Tags.copyOf(all), after);
    }

    /**
     * Returns this filter restricted to events after {@code position} (exclusive).
     *
     * @throws NullPointerException if {@code position} is null
     */
    public EventFilter after(Position position) {
        return new EventFilter(type, stream, category, tags, position);
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

    /** The tags an event must all carry; empty when the filter names none. Sorted and unmodifiable. */
    public Set<String> tags() {
        return tags;
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
                && (category == null || category.equals(event.streamId().category()))
                && event.tags().containsAll(tags);
    }

    private static Set<String> requireTags(String[] tags) {
        Objects.requireNonNull(tags, "tags must not be null");
        if (tags.length == 0) {
            throw new IllegalArgumentException("at least one tag is required");
        }
        return Tags.copyOf(Arrays.asList(tags));
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
                && tags.equals(other.tags)
                && after.equals(other.after);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type, stream, category, tags, after);
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
        if (!tags.isEmpty()) {
            s.append("tags=").append(tags).append(' ');
        }
        return s.append("after=").append(after).append(']').toString();
    }
}
