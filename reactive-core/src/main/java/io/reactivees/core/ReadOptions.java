package io.reactivees.core;

/**
 * How {@link EventStore#readStream} reads one stream: the version to start from (inclusive), the
 * direction, and the most events to return. The default reads forwards from version 1 without
 * limit.
 *
 * <pre>{@code
 * ReadOptions.forwards().fromVersion(10).limit(100);
 * ReadOptions.backwards().limit(1); // the last event
 * }</pre>
 *
 * @param fromVersion the first version to read, inclusive; {@link #END} backwards means the last
 * @param direction forwards (ascending versions) or backwards
 * @param limit the most events to return; positive
 */
public record ReadOptions(long fromVersion, Direction direction, long limit) {

    /** As {@code fromVersion} for reading backwards from the stream's last event. */
    public static final long END = Long.MAX_VALUE;

    /** As {@code limit}: no limit. */
    public static final long NO_LIMIT = Long.MAX_VALUE;

    /** The order of a stream read. */
    public enum Direction {
        /** Ascending versions. */
        FORWARDS,
        /** Descending versions. */
        BACKWARDS
    }

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if {@code direction} is null
     * @throws IllegalArgumentException if {@code fromVersion} is negative or {@code limit} is not
     *     positive
     */
    public ReadOptions {
        if (direction == null) {
            throw new NullPointerException("direction must not be null");
        }
        if (fromVersion < 0) {
            throw new IllegalArgumentException("fromVersion must not be negative: " + fromVersion);
        }
        if (limit <= 0) {
            throw new IllegalArgumentException("limit must be positive: " + limit);
        }
    }

    /** Reads every event, oldest first. */
    public static ReadOptions forwards() {
        return new ReadOptions(1, Direction.FORWARDS, NO_LIMIT);
    }

    /** Reads every event, newest first. */
    public static ReadOptions backwards() {
        return new ReadOptions(END, Direction.BACKWARDS, NO_LIMIT);
    }

    /**
     * Returns these options starting at {@code version}, inclusive.
     *
     * @throws IllegalArgumentException if {@code version} is negative
     */
    public ReadOptions fromVersion(long version) {
        return new ReadOptions(version, direction, limit);
    }

    /**
     * Returns these options returning at most {@code maxCount} events.
     *
     * @throws IllegalArgumentException if {@code maxCount} is not positive
     */
    public ReadOptions limit(long maxCount) {
        return new ReadOptions(fromVersion, direction, maxCount);
    }

    /** Tells whether a stream event at {@code version} lies in the range these options read, ignoring the limit. */
    public boolean includes(long version) {
        return direction == Direction.FORWARDS ? version >= fromVersion : version <= fromVersion;
    }
}
