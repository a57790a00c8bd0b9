package io.reactivees.core.projection;

import java.util.Objects;

/**
 * What a {@link ProjectionRunner} is doing: {@link Stopped} (not started, or stopped), {@link
 * WaitingForLease} (another replica runs the projection), {@link Running} (following the store),
 * {@link BackingOff} (the store failed; it resumes after a pause) or {@link Failed} (a handler or
 * configuration error stopped it).
 */
public sealed interface RunnerState {

    /** @return whether the runner has a run going: waiting for its lease, running or backing off */
    default boolean isActive() {
        return this instanceof WaitingForLease || this instanceof Running || this instanceof BackingOff;
    }

    /** Not started, or stopped: the run has ended (handler, checkpoint and lease release done). */
    record Stopped() implements RunnerState {}

    /** Started and waiting to hold the projection's lease. */
    record WaitingForLease() implements RunnerState {}

    /** Following the store and applying events. */
    record Running() implements RunnerState {}

    /**
     * Pausing after a failure a retry may cure, before resuming from the checkpoint.
     *
     * @param lastError the failure, a {@link io.reactivees.core.StoreUnavailableException} or
     *     {@link io.reactivees.core.RerunTransactionException}
     * @param attempt how many retries in a row this pause precedes, from 1
     */
    record BackingOff(Throwable lastError, long attempt) implements RunnerState {
        /**
         * @throws NullPointerException if {@code lastError} is null
         */
        public BackingOff {
            Objects.requireNonNull(lastError, "lastError must not be null");
        }
    }

    /**
     * Stopped by an error no retry cures: the handler's own, or the store's configuration. A
     * {@link ProjectionRunner#start()} resumes after the last checkpoint.
     *
     * @param error the error
     */
    record Failed(Throwable error) implements RunnerState {
        /**
         * @throws NullPointerException if {@code error} is null
         */
        public Failed {
            Objects.requireNonNull(error, "error must not be null");
        }
    }
}
