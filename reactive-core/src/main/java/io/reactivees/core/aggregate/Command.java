package io.reactivees.core.aggregate;

import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A decision: given the current state, the events to append, or a domain error. It may run more
 * than once (the repository retries it on a concurrency conflict, against the reloaded state), so it
 * must not have side effects beyond what it returns. An empty list means "nothing to do": nothing
 * is written.
 *
 * <p>A command run under a command id ({@link CommandMetadata#commandId()}) must carry a
 * {@link CommandFingerprint} ({@link #withFingerprint}): it is how a repository tells a re-run of the
 * same command (answered with the first run's result) from an id reused for another command
 * ({@link CommandIdReusedException}). A command that wraps another (to log, to time it) must carry
 * the fingerprint over, since a plain lambda has none.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
@FunctionalInterface
public interface Command<S, E> {

    /**
     * Decides.
     *
     * @param state the current state
     * @return a {@code Mono} of the events to append (possibly empty list), or an error for a broken
     *     business rule; the repository never retries an error
     */
    Mono<List<E>> decide(S state);

    /**
     * Returns this command's fingerprint, if it has one.
     *
     * @return the fingerprint given by {@link #withFingerprint}; empty by default
     */
    default Optional<CommandFingerprint> fingerprint() {
        return Optional.empty();
    }

    /**
     * Returns this command with a fingerprint, needed to run it under a command id.
     *
     * @param commandType the command's stable type name, e.g. {@code account.deposit}
     * @param inputHash a hash or stable text form of its input
     * @return a command that decides as this one does and has that fingerprint
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the parts are invalid (see {@link CommandFingerprint})
     */
    default Command<S, E> withFingerprint(String commandType, String inputHash) {
        return new FingerprintedCommand<>(this, new CommandFingerprint(commandType, inputHash));
    }

    /**
     * Returns a command that decides without I/O.
     *
     * @param decide the decision; may throw a domain error
     * @return the command
     * @throws NullPointerException if {@code decide} is null
     */
    static <S, E> Command<S, E> of(Function<S, List<E>> decide) {
        Objects.requireNonNull(decide, "decide must not be null");
        return state -> Mono.fromSupplier(() -> decide.apply(state));
    }

    /**
     * Returns a command whose decision needs I/O (a price lookup, a uniqueness check).
     *
     * @param decide the decision
     * @return the command
     * @throws NullPointerException if {@code decide} is null
     */
    static <S, E> Command<S, E> async(Function<S, Mono<List<E>>> decide) {
        Objects.requireNonNull(decide, "decide must not be null");
        return state -> Mono.defer(() -> decide.apply(state));
    }
}
