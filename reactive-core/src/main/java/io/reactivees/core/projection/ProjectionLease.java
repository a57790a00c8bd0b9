package io.reactivees.core.projection;

import reactor.core.publisher.Mono;

/**
 * Makes sure only one runner of a projection is active at a time across application replicas. A
 * {@link ProjectionRunner} built with a lease waits to hold it before it reads, stops reading as
 * soon as it loses it, and then waits to hold it again.
 */
public interface ProjectionLease {

    /**
     * Waits until this process holds the lease of a projection.
     *
     * @param projectionName the projection
     * @return a cold {@code Mono} that emits the held lease once acquired (it may wait indefinitely
     *     while another replica holds it); cancelling stops waiting. It fails with
     *     {@link io.reactivees.core.StoreUnavailableException} when the lease cannot be checked.
     */
    Mono<Held> acquire(String projectionName);

    /** A lease this process holds. */
    interface Held {

        /**
         * @return a {@code Mono} that completes when the lease is lost (e.g. its connection died);
         *     it never completes while the lease is held
         */
        Mono<Void> lost();

        /** @return a {@code Mono} that gives the lease up and completes */
        Mono<Void> release();
    }
}
