package io.reactivees.core.decision;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.EventQuery;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * One part of a decision's view of the past: the events a query selects, folded into a state from an
 * initial one. A decision may read several, each with its own query (e.g. "the course's capacity
 * and enrolments" and "the student's enrolments"); the append it makes is conditioned on each
 * query, from the position that projection read up to.
 *
 * <p>Projections are told apart by identity: a decision reads each one it is given, and
 * {@link DecisionStates#get} answers by the very object.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class DecisionProjection<S, E> {

    private final EventQuery query;
    private final S initialState;
    private final BiFunction<S, E, S> evolve;

    private DecisionProjection(EventQuery query, S initialState, BiFunction<S, E, S> evolve) {
        this.query = query;
        this.initialState = initialState;
        this.evolve = evolve;
    }

    /**
     * Creates a projection.
     *
     * @param query the events it folds; also the append condition's query, so each filter must name
     *     a type or a tag (see {@link AppendCondition})
     * @param initialState the state before any event
     * @param evolve folds one event into the state; must not return null
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code query} cannot be an append condition's (no filter,
     *     or a filter with neither type nor tag)
     */
    public static <S, E> DecisionProjection<S, E> of(EventQuery query, S initialState, BiFunction<S, E, S> evolve) {
        AppendCondition.failIfEventsMatch(query); // fails now rather than at the append
        return new DecisionProjection<>(query, Objects.requireNonNull(initialState, "initialState must not be null"),
                Objects.requireNonNull(evolve, "evolve must not be null"));
    }

    /** The events this projection folds. */
    public EventQuery query() {
        return query;
    }

    /** The state before any event. */
    public S initialState() {
        return initialState;
    }

    /**
     * Folds one event into {@code state}.
     *
     * @throws NullPointerException if {@code evolve} returned null
     */
    public S evolve(S state, E event) {
        return Objects.requireNonNull(evolve.apply(state, event), "evolve must not return null");
    }

    @Override
    public String toString() {
        return "DecisionProjection[" + query + "]";
    }
}
