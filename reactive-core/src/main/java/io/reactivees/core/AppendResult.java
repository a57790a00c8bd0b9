package io.reactivees.core;

import java.util.Objects;

/**
 * What one stream's append wrote. The appended events got versions {@code fromVersion + 1} to
 * {@code toVersion}; when the append wrote nothing (a check-only entry of
 * {@link EventStore#appendAll}) the two are equal and {@code position} is that of the stream's
 * last event, or {@link Position#START} for a stream that does not exist.
 *
 * @param streamId the stream
 * @param fromVersion the stream's version before the append (0 for a new stream)
 * @param toVersion the stream's version after it
 * @param position the position of the last event appended (see above when none was)
 */
public record AppendResult(StreamId streamId, long fromVersion, long toVersion, Position position) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code fromVersion} is negative or above {@code toVersion}
     */
    public AppendResult {
        Objects.requireNonNull(streamId, "streamId must not be null");
        Objects.requireNonNull(position, "position must not be null");
        if (fromVersion < 0 || toVersion < fromVersion) {
            throw new IllegalArgumentException(
                    "versions must satisfy 0 <= from <= to: " + fromVersion + ", " + toVersion);
        }
    }

    /** Returns the number of events this append wrote. */
    public long eventCount() {
        return toVersion - fromVersion;
    }
}
