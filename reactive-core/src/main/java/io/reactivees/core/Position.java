package io.reactivees.core;

import java.io.Serializable;
import java.util.Comparator;
import java.util.Objects;

/**
 * A place in the store's global order. Positions compare first by {@code commit} (for PostgreSQL the
 * committing transaction's id; for the in-memory store the append number), then by
 * {@code sequence} (the event's global sequence number). Every stored event has a position after
 * {@link #START}.
 *
 * <p>The string form {@code commit:sequence} is stable: store it as a checkpoint and read it back
 * with {@link #parse(String)}. Serializable, so that it can travel inside an exception or a
 * serialized checkpoint.
 *
 * @param commit the commit part; not negative
 * @param sequence the sequence part; not negative
 */
public record Position(long commit, long sequence) implements Comparable<Position>, Serializable {

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
     * Parses exactly the form written by {@link #toString()}: two runs of ASCII digits {@code 0-9}
     * joined by one {@code :}, with no sign, no leading zero (except the single digit {@code 0}) and
     * nothing around them, so every position has one string form.
     *
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is not in that form or a part is beyond
     *     {@link Long#MAX_VALUE}
     */
    public static Position parse(String value) {
        Objects.requireNonNull(value, "value must not be null");
        int colon = value.indexOf(':');
        if (colon < 0) {
            throw notAPosition(value, "no ':'");
        }
        return new Position(parsePart(value, 0, colon), parsePart(value, colon + 1, value.length()));
    }

    private static long parsePart(String value, int start, int end) {
        if (start == end) {
            throw notAPosition(value, "empty part");
        }
        if (value.charAt(start) == '0' && end - start > 1) {
            throw notAPosition(value, "leading zero");
        }
        long result = 0;
        for (int i = start; i < end; i++) {
            char c = value.charAt(i);
            if (c < '0' || c > '9') {
                throw notAPosition(value, "not an ASCII digit at index " + i);
            }
            int digit = c - '0';
            if (result > (Long.MAX_VALUE - digit) / 10) {
                throw notAPosition(value, "part beyond " + Long.MAX_VALUE);
            }
            result = result * 10 + digit;
        }
        return result;
    }

    private static IllegalArgumentException notAPosition(String value, String reason) {
        return new IllegalArgumentException("not a position (commit:sequence): " + value + " (" + reason + ")");
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
