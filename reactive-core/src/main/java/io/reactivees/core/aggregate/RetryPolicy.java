package io.reactivees.core.aggregate;

import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.ConcurrencyConflictException;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import reactor.util.retry.Retry;
import reactor.util.retry.RetryBackoffSpec;

/**
 * How often, and how patiently, a command is retried after a concurrency conflict: exponential
 * backoff from {@code minBackoff} up to {@code maxBackoff}, with random jitter so that writers that
 * collided do not collide again. Domain errors are never retried.
 *
 * @param maxAttempts the most times a command runs, the first included; at least 1
 * @param minBackoff the pause before the first retry
 * @param maxBackoff the longest pause
 * @param jitter the random part of each pause, from 0 (none) to 1
 */
public record RetryPolicy(int maxAttempts, Duration minBackoff, Duration maxBackoff, double jitter) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a duration is null
     * @throws IllegalArgumentException if a value is out of range
     */
    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1: " + maxAttempts);
        }
        Objects.requireNonNull(minBackoff, "minBackoff must not be null");
        Objects.requireNonNull(maxBackoff, "maxBackoff must not be null");
        if (minBackoff.isNegative() || maxBackoff.compareTo(minBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= min <= max: " + minBackoff + ", " + maxBackoff);
        }
        if (!(jitter >= 0 && jitter <= 1)) {
            throw new IllegalArgumentException("jitter must be within [0, 1]: " + jitter);
        }
    }

    /** @return 10 attempts, backoff from 5 ms to 500 ms, jitter 0.5 */
    public static RetryPolicy defaults() {
        return new RetryPolicy(10, Duration.ofMillis(5), Duration.ofMillis(500), 0.5);
    }

    /** @return a single attempt: a conflict fails the command at once */
    public static RetryPolicy none() {
        return new RetryPolicy(1, Duration.ZERO, Duration.ZERO, 0);
    }

    /**
     * Returns this policy as a Reactor retry for {@code retryWhen}, for commands written by hand
     * that should retry like {@link AggregateRepository} does (a decision over several aggregates
     * needs none: {@link MultiAggregateRepository} runs it). It resubscribes after a
     * {@link ConcurrencyConflictException} only, with this backoff and jitter on
     * {@code Schedulers.parallel()} (the returned spec's {@code scheduler(..)} changes that); any
     * other error passes at once, and when the attempts run out the last conflict is rethrown as it
     * is, not wrapped.
     *
     * @return a new retry spec
     */
    public RetryBackoffSpec onConflict() {
        return retrying(ConcurrencyConflictException.class::isInstance);
    }

    /**
     * Returns this policy as a Reactor retry for a decision under an append condition (see
     * {@link io.reactivees.core.decision.DecisionModel}): like {@link #onConflict()}, and it also
     * resubscribes after an {@link AppendConditionFailedException}.
     *
     * @return a new retry spec
     */
    public RetryBackoffSpec onConflictOrFailedCondition() {
        return retrying(e -> e instanceof ConcurrencyConflictException || e instanceof AppendConditionFailedException);
    }

    private RetryBackoffSpec retrying(Predicate<Throwable> retried) {
        return Retry.backoff(maxAttempts - 1L, minBackoff)
                .maxBackoff(maxBackoff)
                .jitter(jitter)
                .filter(retried)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
    }
}
