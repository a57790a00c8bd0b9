package io.reactivees.spring;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Wrapped;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the r2dbc-pool {@link ConnectionPool} behind an application's {@link ConnectionFactory}.
 * Boot's factory may be wrapped (r2dbc-proxy, observation, a user's decorator), each wrapper a
 * {@link Wrapped}; the event store must get the pool itself, because
 * {@link io.reactivees.r2dbc.PostgresEventStore.Builder} puts a pool of its own over any factory that
 * is not one, and opens its dedicated connections (write lanes, {@code LISTEN}, leases) from the
 * pool's underlying factory.
 */
final class ConnectionPools {

    private ConnectionPools() {}

    /**
     * @param factory the application's factory
     * @return the pool found by unwrapping {@code factory} (itself included), or empty when no layer
     *     is a {@link ConnectionPool}
     */
    static Optional<ConnectionPool> find(ConnectionFactory factory) {
        Map<Object, Boolean> seen = new IdentityHashMap<>();
        Object current = factory;
        while (current != null && seen.put(current, Boolean.TRUE) == null) {
            if (current instanceof ConnectionPool pool) {
                return Optional.of(pool);
            }
            if (!(current instanceof Wrapped<?> wrapped)) {
                return Optional.empty();
            }
            current = wrapped.unwrap();
        }
        return Optional.empty();
    }

    /**
     * @param factory the application's factory
     * @return the factory to build the store over: the pool behind {@code factory}, or
     *     {@code factory} itself when there is none (the store then pools it itself)
     */
    static ConnectionFactory forStore(ConnectionFactory factory) {
        return find(factory).<ConnectionFactory>map(pool -> pool).orElse(factory);
    }
}
