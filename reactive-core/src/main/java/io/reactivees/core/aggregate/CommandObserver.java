package io.reactivees.core.aggregate;

import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Watches the commands an {@link AggregateRepository} (and its {@link MultiAggregateRepository})
 * runs: a hook for metrics and tracing, given to {@link AggregateRepository.Builder#observer}. The
 * Spring Boot starter's implementation times each command as a Micrometer observation and counts
 * conflict retries; without one, {@link #none()} changes nothing.
 *
 * <p>Implementations must not block, must not fail, and must return a publisher that emits what
 * {@code run} emits.
 */
public interface CommandObserver {

    /** {@link AggregateRepository#create create}: append to a new stream. */
    String CREATE = "create";
    /** {@link AggregateRepository#update update}: a command on an existing aggregate. */
    String UPDATE = "update";
    /** {@link AggregateRepository#execute execute}: a command whether or not it exists. */
    String EXECUTE = "execute";
    /** {@link MultiAggregateRepository#update}: one decision over existing aggregates. */
    String UPDATE_MANY = "update-many";
    /** {@link MultiAggregateRepository#execute}: one decision over aggregates that may not exist. */
    String EXECUTE_MANY = "execute-many";

    /**
     * Wraps one command. Called when the repository's method is called; the returned {@code Mono}
     * is what the caller subscribes to.
     *
     * @param category the aggregate type's stream category
     * @param operation one of {@link #CREATE}, {@link #UPDATE}, {@link #EXECUTE},
     *     {@link #UPDATE_MANY}, {@link #EXECUTE_MANY}
     * @param run the command, cold: loading, deciding, appending and its retries
     * @param <R> the result type
     * @return a cold {@code Mono} that emits and fails as {@code run} does
     */
    <R> Mono<R> observe(String category, String operation, Mono<R> run);

    /**
     * Tells that a command is about to be run again after a conflict, before its backoff.
     *
     * @param category the aggregate type's stream category
     * @param operation as for {@link #observe}
     * @param conflict the conflict that made it retry
     */
    default void retrying(String category, String operation, Throwable conflict) {}

    /** @return an observer that changes nothing */
    static CommandObserver none() {
        return None.INSTANCE;
    }

    /** The observer that changes nothing. */
    enum None implements CommandObserver {
        /** The one instance. */
        INSTANCE;

        @Override
        public <R> Mono<R> observe(String category, String operation, Mono<R> run) {
            return Objects.requireNonNull(run, "run must not be null");
        }
    }
}
