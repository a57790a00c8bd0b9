package io.reactivees.core.aggregate;

import io.reactivees.core.StreamId;
import java.util.Objects;

/**
 * An aggregate's state as of a stream version.
 *
 * @param streamId the aggregate's stream
 * @param state the state after the first {@code version} events
 * @param version the number of events applied; 0 for an aggregate that does not exist yet
 * @param <S> the state type
 */
public record AggregateState<S>(StreamId streamId, S state, long version) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code version} is negative
     */
    public AggregateState {
        Objects.requireNonNull(streamId, "streamId must not be null");
        Objects.requireNonNull(state, "state must not be null");
        if (version < 0) {
            throw new IllegalArgumentException("version must not be negative: " + version);
        }
    }

    /** @return whether any event has been applied */
    public boolean exists() {
        return version > 0;
    }
}
