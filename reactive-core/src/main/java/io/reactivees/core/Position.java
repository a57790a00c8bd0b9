package io.reactivees.core;

import java.util.Comparator;
import java.util.Objects;

/**
 * A place in the store's global order. Positions compare first by {@code commit} (for PostgreSQL the
 * committing transaction's id; for the in-memory store the append number), then by
 * {@code sequence} (the event's global sequence number). Every stored event has a position after
 * {@link #START}.
 *
 * <p>The string form {@code commit:sequence} is stable: store it as a checkpoint and read it back
 * with {@link #parse(String)}.
 *
 * @param commit the commit part; not negative
 * @param sequence the sequence part; not negative
 */
public record Position(long commit, long sequence) implements Comparable<Position> {

    /** Before every event: a query {@code after(START)} reads from the beginning. */
    public static final Position START = new Position(0, 0);

    private static final Comparator<Position> ORDER =
            Comparator.comparingLong(Position::commit).thenComparingLong(Position::sequence);

    /**
     * Validates both parts.
     *
     * @throws IllegalArgumentException if either part is negative
     */
    public Position {
        if (commit < 0 || sequence < 0) {
            throw new IllegalArgumentException(
                    "position parts must not be negative: " + commit + ":" + sequence);
        }
    }

    /** Returns the position of the given parts. */
    public static Position of(long commit, long sequence) {
        return new Position(commit, sequence);
    }

    /**
     * Parses the form written by {@link #toString()}.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is not two non-negative integers joined by
     *     {@code :}
     */
    public static Position parse(String value) {
        Objects.requireNonNull(value, "value must not be null");
        int colon = value.indexOf(':');
        if (colon <= 0 || colon == value.length() - 1) {
            throw new IllegalArgumentException("not a position (commit:sequence): " + value);
        }
        try {
            return new Position(
                    Long.parseLong(value, 0, colon, 10),
                    Long.parseLong(value, colon + 1, value.length(), 10));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a position (commit:sequence): " + value, e);
        }
    }

    /** Tells whether this position comes after {@code other} in the global order. */
    public boolean isAfter(Position other) {
        return compareTo(other) > 0;
    }

    @Override
    public int compareTo(Position other) {
        return ORDER.compare(this, other);
    }

    /** Returns {@code commit:sequence}. */
    @Override
    public String toString() {
        return commit + ":" + sequence;
    }
}
