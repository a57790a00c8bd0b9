package io.reactivees.core.aggregate;

import io.reactivees.core.AppendResult;
import io.reactivees.core.StreamId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * What a command did.
 *
 * @param streamId the aggregate's stream
 * @param state the state after the command's events
 * @param version the stream version after them
 * @param events the events the command appended, in order; empty when it decided nothing
 * @param append where they were appended, or null when nothing was
 * @param attempts how many times the command ran (1 unless it met concurrency conflicts)
 * @param replayed true when the command had committed before under its command id, so this is that
 *     commit's result read back (the state at the commit's last version, its events and where they
 *     were appended) and nothing was decided or appended now
 * @param <S> the state type
 * @param <E> the event type
 */
public record CommandResult<S, E>(StreamId streamId, S state, long version, List<E> events, @Nullable AppendResult append, int attempts,
                                  boolean replayed) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if a part other than {@code append} is null
     * @throws IllegalArgumentException if {@code events} and {@code append} disagree, or attempts is below 1
     */
    public CommandResult {
        Objects.requireNonNull(streamId, "streamId must not be null");
        Objects.requireNonNull(state, "state must not be null");
        events = List.copyOf(events);
        if ((append == null) != events.isEmpty()) {
            throw new IllegalArgumentException("append must be present exactly when events were appended");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
    }

    /**
     * A result of a command that ran now (not replayed).
     *
     * @throws NullPointerException if a part other than {@code append} is null
     * @throws IllegalArgumentException if {@code events} and {@code append} disagree, or attempts is below 1
     */
    public CommandResult(StreamId streamId, S state, long version, List<E> events, AppendResult append, int attempts) {
        this(streamId, state, version, events, append, attempts, false);
    }

    /** @return where the events were appended; empty when the command decided nothing */
    public Optional<AppendResult> appended() {
        return Optional.ofNullable(append);
    }
}
