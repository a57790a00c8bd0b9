package io.reactivees.spring;

import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * The event store's settings, under {@code reactivees.*}. Immutable; Boot binds them through the
 * constructor, and every value is checked there, so a bad one stops the application at start with a
 * message naming the property. The defaults are the library's own
 * ({@link PostgresEventStoreOptions#defaults()}).
 *
 * @param schema the PostgreSQL schema of the store's tables, a lower-case identifier of at most 48
 *     characters ({@code reactivees.schema}, default {@code reactivees})
 * @param schemaInitialization whether the schema is created or upgraded at start
 *     ({@code reactivees.schema-initialization}: {@code always}, the default, or {@code never} for
 *     teams that migrate it themselves)
 * @param pageSize how many rows one read query returns at most ({@code reactivees.page-size}, 1000)
 * @param subscriberBufferSize how many live events a subscription may hold undelivered before it
 *     falls back to reading pages of its own ({@code reactivees.subscriber-buffer-size}, 1024)
 * @param pollInterval how often the live tail looks for new events without a notification
 *     ({@code reactivees.poll-interval}, 1s)
 * @param writeLanes how many writer connections commit appends; each holds a connection of its own
 *     beside the pool ({@code reactivees.write-lanes}, 2)
 * @param maxQueuedAppends how many appends a lane queues for its next commits
 *     ({@code reactivees.max-queued-appends}, 4096)
 * @param commitTimeout how long a commit may take before it fails as unavailable
 *     ({@code reactivees.commit-timeout}, 10s)
 * @param appendTimeout how long an append may wait to be sent ({@code reactivees.append-timeout}, 30s)
 * @param batch the bounds of one commit of a lane
 * @param pool the store's own pool, used only when the application's {@code ConnectionFactory} is
 *     not a pool (with {@code spring.r2dbc.pool.enabled=false}); Boot's pool is never wrapped in a
 *     second one
 * @param startup how the store is prepared at start
 * @param projections how projection beans are run
 * @param commands how aggregate commands retry a conflict: the {@code RetryPolicy} bean
 * @param snapshots when aggregates take snapshots: the {@code SnapshotPolicy} bean
 * @param health the Actuator health indicators and endpoint
 * @param metrics the Micrometer meters
 * @param eventPackages the packages scanned for {@code @EventType} classes for the auto-configured
 *     serializer ({@code reactivees.event-packages}); by default the application's own
 *     (auto-configuration) packages
 */
@ConfigurationProperties("reactivees")
public record ReactiveesProperties(
        @DefaultValue("reactivees") String schema,
        @DefaultValue("always") SchemaInitialization schemaInitialization,
        @DefaultValue("1000") int pageSize,
        @DefaultValue("1024") int subscriberBufferSize,
        @DefaultValue("1s") Duration pollInterval,
        @DefaultValue("2") int writeLanes,
        @DefaultValue("4096") int maxQueuedAppends,
        @DefaultValue("10s") Duration commitTimeout,
        @DefaultValue("30s") Duration appendTimeout,
        @DefaultValue Batch batch,
        @DefaultValue Pool pool,
        @DefaultValue Startup startup,
        @DefaultValue Projections projections,
        @DefaultValue Commands commands,
        @DefaultValue Snapshots snapshots,
        @DefaultValue Health health,
        @DefaultValue Metrics metrics,
        List<String> eventPackages) {

    /**
     * Checks every value, naming the property of the first bad one.
     *
     * @throws IllegalArgumentException if a value is out of range
     */
    public ReactiveesProperties {
        Objects.requireNonNull(schema, "reactivees.schema must not be null");
        Objects.requireNonNull(schemaInitialization, "reactivees.schema-initialization must not be null");
        positive(pageSize, "reactivees.page-size");
        positive(subscriberBufferSize, "reactivees.subscriber-buffer-size");
        positive(pollInterval, "reactivees.poll-interval");
        positive(writeLanes, "reactivees.write-lanes");
        positive(maxQueuedAppends, "reactivees.max-queued-appends");
        positive(commitTimeout, "reactivees.commit-timeout");
        positive(appendTimeout, "reactivees.append-timeout");
        Objects.requireNonNull(batch, "reactivees.batch must not be null");
        Objects.requireNonNull(pool, "reactivees.pool must not be null");
        Objects.requireNonNull(startup, "reactivees.startup must not be null");
        Objects.requireNonNull(projections, "reactivees.projections must not be null");
        Objects.requireNonNull(health, "reactivees.health must not be null");
        Objects.requireNonNull(metrics, "reactivees.metrics must not be null");
        eventPackages = eventPackages == null ? List.of() : List.copyOf(eventPackages);
        try {
            PostgresEventStoreOptions.builder().schema(schema);
        } catch (IllegalArgumentException e) {
            // the library's message, under the property's name (the root cause is what Boot reports)
            throw new IllegalArgumentException("reactivees.schema: " + e.getMessage());
        }
    }

    /**
     * @return the options of the PostgreSQL store
     */
    public PostgresEventStoreOptions toOptions() {
        return PostgresEventStoreOptions.builder()
                .schema(schema)
                .pageSize(pageSize)
                .subscriberBufferSize(subscriberBufferSize)
                .pollInterval(pollInterval)
                .poolSize(pool.initialSize(), pool.maxSize())
                .writeLanes(writeLanes)
                .batchBounds(batch.maxEvents(), batch.maxBytes().toBytes(), batch.maxStreams())
                .maxQueuedAppends(maxQueuedAppends)
                .appendTimeouts(commitTimeout, appendTimeout)
                .build();
    }

    /** Whether the store's schema is created or upgraded at start. */
    public enum SchemaInitialization {
        /** Migrate at start (idempotent; replicas starting together take turns). */
        ALWAYS,
        /** Never touch the schema: it is migrated by other means (the DDL is in reactive-r2dbc). */
        NEVER
    }

    /**
     * The bounds of one commit of a write lane.
     *
     * @param maxEvents the most events ({@code reactivees.batch.max-events}, 1000)
     * @param maxBytes the most payload and metadata bytes ({@code reactivees.batch.max-bytes}, 4MB)
     * @param maxStreams the most distinct streams ({@code reactivees.batch.max-streams}, 256)
     */
    public record Batch(@DefaultValue("1000") int maxEvents, @DefaultValue("4MB") DataSize maxBytes,
                        @DefaultValue("256") int maxStreams) {

        /** @throws IllegalArgumentException if a bound is not positive */
        public Batch {
            positive(maxEvents, "reactivees.batch.max-events");
            Objects.requireNonNull(maxBytes, "reactivees.batch.max-bytes must not be null");
            if (maxBytes.toBytes() <= 0) {
                throw new IllegalArgumentException("reactivees.batch.max-bytes must be positive: " + maxBytes);
            }
            positive(maxStreams, "reactivees.batch.max-streams");
        }
    }

    /**
     * The store's own pool, over a {@code ConnectionFactory} that is not one.
     *
     * @param initialSize connections opened at start ({@code reactivees.pool.initial-size}, 1)
     * @param maxSize the most connections ({@code reactivees.pool.max-size}, 10)
     */
    public record Pool(@DefaultValue("1") int initialSize, @DefaultValue("10") int maxSize) {

        /** @throws IllegalArgumentException unless {@code 0 <= initialSize <= maxSize} and {@code maxSize > 0} */
        public Pool {
            if (initialSize < 0) {
                throw new IllegalArgumentException("reactivees.pool.initial-size must not be negative: " + initialSize);
            }
            positive(maxSize, "reactivees.pool.max-size");
            if (initialSize > maxSize) {
                throw new IllegalArgumentException("reactivees.pool.initial-size (" + initialSize
                        + ") must not exceed reactivees.pool.max-size (" + maxSize + ")");
            }
        }
    }

    /**
     * Preparing the store at start (migrating its schema), retried with exponential backoff for as
     * long as the database is away; the application starts meanwhile, and store operations wait.
     *
     * @param minBackoff the first pause ({@code reactivees.startup.min-backoff}, 1s)
     * @param maxBackoff the longest pause ({@code reactivees.startup.max-backoff}, 30s)
     */
    public record Startup(@DefaultValue("1s") Duration minBackoff, @DefaultValue("30s") Duration maxBackoff) {

        /** @throws IllegalArgumentException unless {@code 0 < minBackoff <= maxBackoff} */
        public Startup {
            positive(minBackoff, "reactivees.startup.min-backoff");
            positive(maxBackoff, "reactivees.startup.max-backoff");
            if (maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("reactivees.startup.max-backoff (" + maxBackoff
                        + ") must not be shorter than reactivees.startup.min-backoff (" + minBackoff + ")");
            }
        }
    }

    /**
     * Running the application's {@code Projection} beans.
     *
     * @param lease whether, on PostgreSQL, each runner holds a lease so that of several replicas one
     *     runs a projection at a time ({@code reactivees.projections.lease}, true)
     * @param leaseRetryInterval how often a waiting replica tries the lease
     *     ({@code reactivees.projections.lease-retry-interval}, 1s)
     * @param minBackoff the first pause after losing the store ({@code reactivees.projections.min-backoff}, 100ms)
     * @param maxBackoff the longest pause ({@code reactivees.projections.max-backoff}, 10s)
     */
    public record Projections(@DefaultValue("true") boolean lease, @DefaultValue("1s") Duration leaseRetryInterval,
                              @DefaultValue("100ms") Duration minBackoff, @DefaultValue("10s") Duration maxBackoff) {

        /** @throws IllegalArgumentException if a duration is not positive or the backoffs are out of order */
        public Projections {
            positive(leaseRetryInterval, "reactivees.projections.lease-retry-interval");
            positive(minBackoff, "reactivees.projections.min-backoff");
            positive(maxBackoff, "reactivees.projections.max-backoff");
            if (maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("reactivees.projections.max-backoff (" + maxBackoff
                        + ") must not be shorter than reactivees.projections.min-backoff (" + minBackoff + ")");
            }
        }
    }

    /**
     * How aggregate commands retry a conflict: the auto-configured {@code RetryPolicy} bean, which
     * the application passes to its repositories ({@code AggregateRepository.Builder.retryPolicy}).
     *
     * @param retry the retry of a command that met a conflict
     */
    public record Commands(@DefaultValue Retry retry) {}

    /**
     * The retry of a command that met a conflict ({@code RetryPolicy.defaults()} by default).
     *
     * @param maxAttempts how many times a command runs at most, the first included
     *     ({@code reactivees.commands.retry.max-attempts}, 10; 1: a conflict fails the command at once)
     * @param minBackoff the wait before the first retry ({@code reactivees.commands.retry.min-backoff}, 5ms)
     * @param maxBackoff the longest wait between two attempts ({@code reactivees.commands.retry.max-backoff}, 500ms)
     * @param jitter the share of each wait drawn at random, from 0 to 1 ({@code reactivees.commands.retry.jitter}, 0.5)
     */
    public record Retry(@DefaultValue("10") int maxAttempts, @DefaultValue("5ms") Duration minBackoff,
                        @DefaultValue("500ms") Duration maxBackoff, @DefaultValue("0.5") double jitter) {

        /** @throws IllegalArgumentException if a value is out of range, naming its property */
        public Retry {
            positive(maxAttempts, "reactivees.commands.retry.max-attempts");
            if (minBackoff == null || minBackoff.isNegative()) {
                throw new IllegalArgumentException("reactivees.commands.retry.min-backoff must not be negative: " + minBackoff);
            }
            if (maxBackoff == null || maxBackoff.compareTo(minBackoff) < 0) {
                throw new IllegalArgumentException("reactivees.commands.retry.max-backoff (" + maxBackoff
                        + ") must not be shorter than reactivees.commands.retry.min-backoff (" + minBackoff + ")");
            }
            if (!(jitter >= 0 && jitter <= 1)) {
                throw new IllegalArgumentException("reactivees.commands.retry.jitter must be within [0, 1]: " + jitter);
            }
        }

        /** @return these settings as the policy repositories take */
        public RetryPolicy toPolicy() {
            return new RetryPolicy(maxAttempts, minBackoff, maxBackoff, jitter);
        }
    }

    /**
     * When aggregates take snapshots: the auto-configured {@code SnapshotPolicy} bean, which the
     * application passes to its repositories.
     *
     * @param everyEvents take a snapshot once this many events were appended since the last one
     *     ({@code reactivees.snapshots.every-events}, 0: never)
     */
    public record Snapshots(@DefaultValue("0") long everyEvents) {

        /** @throws IllegalArgumentException if {@code everyEvents} is negative, naming its property */
        public Snapshots {
            if (everyEvents < 0) {
                throw new IllegalArgumentException("reactivees.snapshots.every-events must not be negative (0: never): " + everyEvents);
            }
        }

        /** @return this setting as the policy repositories take */
        public SnapshotPolicy toPolicy() {
            return everyEvents == 0 ? SnapshotPolicy.never() : SnapshotPolicy.everyEvents(everyEvents);
        }
    }

    /**
     * The Actuator health indicators ({@code reactiveesStore}, {@code reactiveesProjections}) and the
     * {@code reactiveesprojections} endpoint.
     *
     * @param timeout how long the store's probe, or counting one projection's lag, may take
     *     ({@code reactivees.health.timeout}, 5s); past it the store is {@code DOWN} and a lag is left out
     */
    public record Health(@DefaultValue("5s") Duration timeout) {

        /** @throws IllegalArgumentException if the timeout is not positive */
        public Health {
            positive(timeout, "reactivees.health.timeout");
        }
    }

    /**
     * The Micrometer meters of the store and its projections.
     *
     * @param lagInterval how often the projection and feed lag gauges are refreshed; each refresh
     *     costs a query per projection ({@code reactivees.metrics.lag-interval}, 30s)
     */
    public record Metrics(@DefaultValue("30s") Duration lagInterval) {

        /** @throws IllegalArgumentException if the interval is not positive */
        public Metrics {
            positive(lagInterval, "reactivees.metrics.lag-interval");
        }
    }

    private static void positive(int value, String property) {
        if (value <= 0) {
            throw new IllegalArgumentException(property + " must be positive: " + value);
        }
    }

    private static void positive(Duration value, String property) {
        Objects.requireNonNull(value, property + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(property + " must be positive: " + value);
        }
    }
}
