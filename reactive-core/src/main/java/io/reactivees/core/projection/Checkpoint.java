package io.reactivees.core.projection;

import io.reactivees.core.Position;
import java.util.Objects;

/**
 * Where a projection stands: the position of the last event it applied, and the epoch of its read
 * model. A rebuild starts a new epoch at {@link Position#START}, so a runner that still expects the
 * old epoch is told apart from one that has just started over, even when both are at the start.
 *
 * @param position the position of the last applied event, {@link Position#START} before the first
 * @param epoch how many times the read model was rebuilt; 0 for stores that keep no epoch
 */
public record Checkpoint(Position position, long epoch) {

    /** The first event not yet applied, in the first epoch. */
    public static final Checkpoint START = new Checkpoint(Position.START, 0);

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if {@code position} is null
     * @throws IllegalArgumentException if {@code epoch} is negative
     */
    public Checkpoint {
        Objects.requireNonNull(position, "position must not be null");
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must not be negative: " + epoch);
        }
    }

    /**
     * @param position the position of the event just applied
     * @return this checkpoint moved to {@code position}, in the same epoch
     * @throws NullPointerException if {@code position} is null
     */
    public Checkpoint at(Position position) {
        return new Checkpoint(position, epoch);
    }
}
