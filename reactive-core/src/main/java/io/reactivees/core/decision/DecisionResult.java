package io.reactivees.core.decision;

import io.reactivees.core.AppendResult;
import java.util.List;
import java.util.Objects;

/**
 * What a decision came to.
 *
 * @param states what the decision saw on its last attempt
 * @param events the events it decided, in order; empty when it decided none (then nothing was appended)
 * @param appends one result per stream written, in the order of first appearance; empty with no events
 * @param attempts how many times it read and decided: more than 1 after conflicts
 * @param <E> the event type
 */
public record DecisionResult<E>(DecisionStates states, List<E> events, List<AppendResult> appends, int attempts) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if {@code attempts} is below 1
     */
    public DecisionResult {
        Objects.requireNonNull(states, "states must not be null");
        events = List.copyOf(events);
        appends = List.copyOf(appends);
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
    }
}
