package io.reactivees.core.aggregate;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * What a {@link MultiCommand} did to each of its aggregates.
 *
 * @param aggregates each aggregate's result, by id, in the order the ids were given: its new state
 *     and version, the events appended to it (none for an aggregate only read) and where; copied,
 *     unmodifiable
 * @param attempts how many times the command ran (1 unless it met concurrency conflicts)
 * @param replayed true when the command had committed before under its command id, so these are
 *     that commit's results read back and nothing was decided or appended now
 * @param <S> the state type
 * @param <E> the event type
 */
public record MultiCommandResult<S, E>(Map<String, CommandResult<S, E>> aggregates, int attempts, boolean replayed) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if {@code aggregates} or an entry is null
     * @throws IllegalArgumentException if {@code aggregates} is empty or attempts is below 1
     */
    public MultiCommandResult {
        Objects.requireNonNull(aggregates, "aggregates must not be null");
        Map<String, CommandResult<S, E>> copy = new LinkedHashMap<>();
        aggregates.forEach((id, result) -> copy.put(Objects.requireNonNull(id, "an id must not be null"),
                Objects.requireNonNull(result, "a result must not be null")));
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("aggregates must not be empty");
        }
        if (attempts < 1) {
            throw new IllegalArgumentException("attempts must be at least 1: " + attempts);
        }
        aggregates = Collections.unmodifiableMap(copy);
    }

    /**
     * @param id an aggregate id the command ran on
     * @return that aggregate's result
     * @throws IllegalArgumentException if the command did not run on {@code id}
     */
    public CommandResult<S, E> get(String id) {
        CommandResult<S, E> result = aggregates.get(id);
        if (result == null) {
            throw new IllegalArgumentException("the command did not run on aggregate " + id + "; it ran on " + aggregates.keySet());
        }
        return result;
    }

    /**
     * @param id an aggregate id the command ran on
     * @return that aggregate's state after the command
     * @throws IllegalArgumentException if the command did not run on {@code id}
     */
    public S state(String id) {
        return get(id).state();
    }
}
