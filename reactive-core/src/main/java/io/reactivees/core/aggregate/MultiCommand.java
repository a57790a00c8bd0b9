package io.reactivees.core.aggregate;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A decision over several aggregates of one type, run by a {@link MultiAggregateRepository}: given
 * the current state of each (keyed by aggregate id), the events to append to each, or a domain
 * error. Like a {@link Command} it may run more than once (after a concurrency conflict, against the
 * reloaded states), so it must have no side effects beyond what it returns.
 *
 * <p>The answer maps aggregate ids to their new events. An aggregate it leaves out (or maps to an
 * empty list) is read but not written: the commit still checks that its version has not moved, so
 * a decision that relied on its state never commits against a newer one. An empty answer means
 * "nothing to do": nothing is written.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
@FunctionalInterface
public interface MultiCommand<S, E> {

    /**
     * Decides.
     *
     * @param states the current state of every aggregate the command runs on, by id, in the order
     *     the ids were given; unmodifiable
     * @return a {@code Mono} of the events for each aggregate that changes, by id (only ids of
     *     {@code states}), or an error for a broken business rule; the repository never retries an error
     */
    Mono<Map<String, List<E>>> decide(Map<String, S> states);

    /**
     * Returns this command's fingerprint, if it has one; needed to run it under a command id.
     *
     * @return the fingerprint given by {@link #withFingerprint}; empty by default
     */
    default Optional<CommandFingerprint> fingerprint() {
        return Optional.empty();
    }

    /**
     * Returns this command with a fingerprint, needed to run it under a command id.
     *
     * @param commandType the command's stable type name, e.g. {@code account.transfer}
     * @param inputHash a hash or stable text form of its input
     * @return a command that decides as this one does and has that fingerprint
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the parts are invalid (see {@link CommandFingerprint})
     */
    default MultiCommand<S, E> withFingerprint(String commandType, String inputHash) {
        CommandFingerprint fingerprint = new CommandFingerprint(commandType, inputHash);
        MultiCommand<S, E> decision = this;
        return new MultiCommand<>() {
            @Override
            public Mono<Map<String, List<E>>> decide(Map<String, S> states) {
                return decision.decide(states);
            }

            @Override
            public Optional<CommandFingerprint> fingerprint() {
                return Optional.of(fingerprint);
            }

            @Override
            public String toString() {
                return "MultiCommand[" + commandType + "]";
            }
        };
    }

    /**
     * Returns a command that decides without I/O.
     *
     * @param decide the decision; may throw a domain error
     * @return the command
     * @throws NullPointerException if {@code decide} is null
     */
    static <S, E> MultiCommand<S, E> of(Function<Map<String, S>, Map<String, List<E>>> decide) {
        Objects.requireNonNull(decide, "decide must not be null");
        return states -> Mono.fromSupplier(() -> decide.apply(states));
    }

    /**
     * Returns a command whose decision needs I/O.
     *
     * @param decide the decision
     * @return the command
     * @throws NullPointerException if {@code decide} is null
     */
    static <S, E> MultiCommand<S, E> async(Function<Map<String, S>, Mono<Map<String, List<E>>>> decide) {
        Objects.requireNonNull(decide, "decide must not be null");
        return states -> Mono.defer(() -> decide.apply(states));
    }
}
