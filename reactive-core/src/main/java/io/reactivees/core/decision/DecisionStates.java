package io.reactivees.core.decision;

import io.reactivees.core.Position;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a decision sees: the state each of its projections folded, and the position each read up
 * to. Immutable.
 */
public final class DecisionStates {

    private final Map<DecisionProjection<?, ?>, Object> states;
    private final Map<DecisionProjection<?, ?>, Position> positions;

    DecisionStates(Map<DecisionProjection<?, ?>, Object> states, Map<DecisionProjection<?, ?>, Position> positions) {
        this.states = new IdentityHashMap<>(states);
        this.positions = new IdentityHashMap<>(positions);
    }

    /**
     * The state {@code projection} folded.
     *
     * @throws NullPointerException if {@code projection} is null
     * @throws IllegalArgumentException if the decision did not read {@code projection}
     */
    @SuppressWarnings("unchecked") // stored by the very projection, with its own state type
    public <S> S get(DecisionProjection<S, ?> projection) {
        Objects.requireNonNull(projection, "projection must not be null");
        if (!states.containsKey(projection)) {
            throw new IllegalArgumentException("the decision did not read " + projection);
        }
        return (S) states.get(projection);
    }

    /**
     * The position of the last event {@code projection} read, or its query's own position when it read
     * none: the append condition's position for that query.
     *
     * @throws NullPointerException if {@code projection} is null
     * @throws IllegalArgumentException if the decision did not read {@code projection}
     */
    public Position position(DecisionProjection<?, ?> projection) {
        Objects.requireNonNull(projection, "projection must not be null");
        Position position = positions.get(projection);
        if (position == null) {
            throw new IllegalArgumentException("the decision did not read " + projection);
        }
        return position;
    }

    @Override
    public String toString() {
        return "DecisionStates" + states.values();
    }
}
