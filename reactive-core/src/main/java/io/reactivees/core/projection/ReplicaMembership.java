package io.reactivees.core.projection;

import reactor.core.publisher.Flux;

/**
 * Which application replicas take part in a group, such as the workers of a
 * {@link PartitionedProjection}: each replica joins, and learns how many replicas are members, so
 * that it takes its share of the work. A store backs it (the PostgreSQL store's
 * {@code PostgresTableLease} keeps one expiring row per member).
 */
public interface ReplicaMembership {

    /**
     * Joins {@code group} for as long as the returned {@code Flux} is subscribed.
     *
     * @param group the group, e.g. a projection's name
     * @return a cold {@code Flux}: subscribing joins, and it emits how many replicas are members (this
     *     one included), once joined and again on every change; cancelling leaves. A replica that
     *     stops renewing its membership (it died, it is cut off) drops out of the others' count within
     *     the store's expiry. It fails with {@link io.reactivees.core.StoreUnavailableException} when
     *     the membership cannot be kept; the caller joins again.
     */
    Flux<Integer> join(String group);
}
