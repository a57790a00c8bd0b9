package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.r2dbc.Database.Sql;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A {@link ProjectionLease} on a PostgreSQL session-level advisory lock, keyed by the store's schema
 * and the projection's name. The lock lives on a connection of its own (not from the pool): when
 * the holder stops it unlocks, and when the holder dies or its connection is cut PostgreSQL releases
 * the lock itself, so another replica takes over within one {@code retryInterval}.
 */
public final class PostgresProjectionLease implements ProjectionLease {

    private final PostgresEventStore store;
    private final SqlNames names;
    private final Duration retryInterval;

    private PostgresProjectionLease(PostgresEventStore store, Duration retryInterval) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.names = new SqlNames(store.options().schema());
        this.retryInterval = Objects.requireNonNull(retryInterval, "retryInterval must not be null");
        if (retryInterval.isNegative() || retryInterval.isZero()) {
            throw new IllegalArgumentException("retryInterval must be positive: " + retryInterval);
        }
    }

    /**
     * @param store the store whose database holds the locks
     * @param retryInterval how often a waiting replica tries the lock, and how often the holder checks
     *     its connection
     * @return the lease
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code retryInterval} is not positive
     */
    public static PostgresProjectionLease of(PostgresEventStore store, Duration retryInterval) {
        return new PostgresProjectionLease(store, retryInterval);
    }

    @Override
    public Mono<Held> acquire(String projectionName) {
        Objects.requireNonNull(projectionName, "projectionName must not be null");
        String key = store.options().schema() + ":" + projectionName;
        return tryOnce(key)
                .repeatWhenEmpty(Integer.MAX_VALUE, attempts -> attempts.delayElements(retryInterval))
                .onErrorMap(e -> Errors.translate(e, names, "acquiring the lease of projection " + projectionName));
    }

    /** Opens a connection and tries the lock: emits the held lease, or closes and completes empty. */
    private Mono<Held> tryOnce(String key) {
        return Mono.from(store.database().dedicatedConnections().create()).flatMap(connection ->
                Database.rows(connection, new Sql("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held", List.of(key)),
                                row -> row.get("held", Boolean.class))
                        .next()
                        .flatMap(held -> held
                                ? Mono.<Held>just(new Lease(connection, key))
                                : Mono.from(connection.close()).then(Mono.<Held>empty()))
                        .onErrorResume(e -> Mono.from(connection.close()).onErrorResume(x -> Mono.empty()).then(Mono.error(e))));
    }

    private final class Lease implements Held {
        private final Connection connection;
        private final String key;

        Lease(Connection connection, String key) {
            this.connection = connection;
            this.key = key;
        }

        @Override
        public Mono<Void> lost() {
            // A held session lock is lost only with its connection: check the connection regularly.
            return Flux.interval(retryInterval)
                    .concatMap(tick -> Database.rows(connection, new Sql("SELECT 1 AS alive", List.of()), row -> row).then(Mono.just(true))
                            .onErrorResume(e -> Mono.just(false)))
                    .filter(alive -> !alive)
                    .next()
                    .then();
        }

        @Override
        public Mono<Void> release() {
            return Database.rows(connection, new Sql("SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS released", List.of(key)), row -> row)
                    .then()
                    .onErrorResume(e -> Mono.empty())
                    .then(Mono.from(connection.close()))
                    .onErrorResume(e -> Mono.empty());
        }
    }
}
