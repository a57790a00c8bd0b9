package io.reactivees.core.aggregate;

import io.reactivees.core.StreamId;
import java.util.Objects;
import java.util.function.BiFunction;

/**
 * What an aggregate is, in the decide/evolve style: the stream category its instances live in,
 * the base type of its events, the state before any event, and how an event changes the state.
 * {@code evolve} must be a pure function: it sees events only, never their metadata.
 *
 * <pre>{@code
 * AggregateType<Account, AccountEvent> ACCOUNT =
 *         AggregateType.of("account", AccountEvent.class, Account.NONE, Account::apply);
 * }</pre>
 *
 * @param <S> the state type
 * @param <E> the base type of the aggregate's events
 */
public final class AggregateType<S, E> {

    private final String category;
    private final Class<E> eventType;
    private final S initialState;
    private final BiFunction<S, E, S> evolve;

    private AggregateType(String category, Class<E> eventType, S initialState, BiFunction<S, E, S> evolve) {
        this.category = StreamId.of(Objects.requireNonNull(category, "category must not be null"), "x").category();
        this.eventType = Objects.requireNonNull(eventType, "eventType must not be null");
        this.initialState = Objects.requireNonNull(initialState, "initialState must not be null");
        this.evolve = Objects.requireNonNull(evolve, "evolve must not be null");
    }

    /**
     * Returns an aggregate type.
     *
     * @param category the stream category, e.g. {@code account}; non-blank, without {@code -}
     * @param eventType the base type of the events (a sealed interface, typically)
     * @param initialState the state of an aggregate with no events
     * @param evolve the state after an event; must not return null
     * @return the aggregate type
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the category is blank or contains {@code -}
     */
    public static <S, E> AggregateType<S, E> of(String category, Class<E> eventType, S initialState, BiFunction<S, E, S> evolve) {
        return new AggregateType<>(category, eventType, initialState, evolve);
    }

    /** @return the stream category of this aggregate's instances */
    public String category() {
        return category;
    }

    /** @return the base type of the aggregate's events */
    public Class<E> eventType() {
        return eventType;
    }

    /** @return the state before any event */
    public S initialState() {
        return initialState;
    }

    /**
     * Applies one event.
     *
     * @param state the state before the event
     * @param event the event
     * @return the state after it
     * @throws NullPointerException if {@code evolve} returned null
     */
    public S evolve(S state, E event) {
        return Objects.requireNonNull(evolve.apply(state, event), () -> "evolve returned null for " + event);
    }

    /**
     * Returns the stream of the instance with the given id.
     *
     * @param id the aggregate id
     * @return {@code category-id}
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public StreamId streamId(String id) {
        return StreamId.of(category, id);
    }

    @Override
    public String toString() {
        return "AggregateType[" + category + "]";
    }
}
