package io.reactivees.r2dbc;

import java.time.Duration;
import java.util.Objects;

/**
 * The settings of a {@link PostgresEventStore}. Immutable; build with {@link #builder()}, whose
 * setters reject bad values at once.
 *
 * @param schema the PostgreSQL schema holding the store's tables (a lower-case identifier)
 * @param pageSize how many rows one read query returns at most
 * @param subscriberBufferSize how many live events a subscription may hold undelivered before it
 *     falls back to reading pages of its own
 * @param pollInterval how often the live tail looks for new events without a notification (covers
 *     lost notifications and horizon moves that send none, such as a rollback)
 * @param poolInitialSize connections the store's pool opens at start
 * @param poolMaxSize the most connections the store's pool opens
 * @param writeLanes how many writer connections ("lanes") commit appends; each holds one
 *     connection of its own, opened beside the pool (like the LISTEN connection) once it first
 *     commits. The first lane takes every append while it keeps up (few events pending on it),
 *     the others take the overflow; a stream with an append pending keeps to that append's lane,
 *     so its appends are committed in the order they came
 * @param maxBatchEvents the most events one commit of a lane carries (an append larger than this
 *     is committed alone)
 * @param maxBatchBytes the most payload and metadata bytes one commit carries (likewise)
 * @param maxBatchStreams the most distinct streams one commit locks (each takes a slot of
 *     PostgreSQL's shared lock table)
 * @param maxQueuedAppends how many appends a lane queues for its next commits; further appends
 *     wait for room
 * @param commitTimeout how long a commit may take before the lane gives its connection up and
 *     fails the commit's appends as unavailable (their outcome unknown: retry with the same ids)
 * @param appendTimeout how long an append may wait to be sent before it fails as unavailable
 *     (nothing stored)
 */
public record PostgresEventStoreOptions(
        String schema,
        int pageSize,
        int subscriberBufferSize,
        Duration pollInterval,
        int poolInitialSize,
        int poolMaxSize,
        int writeLanes,
        int maxBatchEvents,
        long maxBatchBytes,
        int maxBatchStreams,
        int maxQueuedAppends,
        Duration commitTimeout,
        Duration appendTimeout) {

    /**
     * Validates the settings against each other.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if a number is out of range
     */
    public PostgresEventStoreOptions {
        new SqlNames(schema);
        positive(pageSize, "pageSize");
        positive(subscriberBufferSize, "subscriberBufferSize");
        positive(pollInterval, "pollInterval");
        positive(writeLanes, "writeLanes");
        positive(maxBatchEvents, "maxBatchEvents");
        if (maxBatchBytes <= 0) {
            throw new IllegalArgumentException("maxBatchBytes must be positive: " + maxBatchBytes);
        }
        positive(maxBatchStreams, "maxBatchStreams");
        positive(maxQueuedAppends, "maxQueuedAppends");
        positive(commitTimeout, "commitTimeout");
        positive(appendTimeout, "appendTimeout");
        if (poolInitialSize < 0) {
            throw new IllegalArgumentException("poolInitialSize must not be negative: " + poolInitialSize);
        }
        positive(poolMaxSize, "poolMaxSize");
        if (poolInitialSize > poolMaxSize) {
            throw new IllegalArgumentException(
                    "poolInitialSize (" + poolInitialSize + ") must not exceed poolMaxSize (" + poolMaxSize + ")");
        }
    }

    /**
     * The defaults: schema {@code reactivees}, pages of 1000, buffers of 1024, polls every second,
     * pool 1..10, 2 write lanes committing up to 1000 events, 4 MiB and 256 streams at a time with
     * 4096 appends queued per lane, commits abandoned after 10 s and appends unsent after 30 s.
     */
    public static PostgresEventStoreOptions defaults() {
        return builder().build();
    }

    /** Returns a builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    private static void positive(int value, String name) {
        if (value <= 0) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    private static void positive(Duration value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
    }

    /** Builds {@link PostgresEventStoreOptions}. */
    public static final class Builder {
        private String schema = "reactivees";
        private int pageSize = 1000;
        private int subscriberBufferSize = 1024;
        private Duration pollInterval = Duration.ofSeconds(1);
        private int poolInitialSize = 1;
        private int poolMaxSize = 10;
        private int writeLanes = 2;
        private int maxBatchEvents = 1000;
        private long maxBatchBytes = 4L << 20;
        private int maxBatchStreams = 256;
        private int maxQueuedAppends = 4096;
        private Duration commitTimeout = Duration.ofSeconds(10);
        private Duration appendTimeout = Duration.ofSeconds(30);

        private Builder() {}

        /**
         * Sets the schema.
         *
         * @throws NullPointerException if {@code schema} is null
         * @throws IllegalArgumentException if it is not a lower-case identifier of at most 48 characters
         */
        public Builder schema(String schema) {
            this.schema = new SqlNames(schema).schema();
            return this;
        }

        /**
         * Sets the page size of reads.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder pageSize(int pageSize) {
            positive(pageSize, "pageSize");
            this.pageSize = pageSize;
            return this;
        }

        /**
         * Sets how many live events a subscription may hold undelivered.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder subscriberBufferSize(int size) {
            positive(size, "subscriberBufferSize");
            this.subscriberBufferSize = size;
            return this;
        }

        /**
         * Sets the live tail's poll interval.
         *
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if not positive
         */
        public Builder pollInterval(Duration interval) {
            positive(interval, "pollInterval");
            this.pollInterval = interval;
            return this;
        }

        /**
         * Sets the pool's initial and maximum sizes (used when the store makes its own pool).
         *
         * @throws IllegalArgumentException if {@code initial} is negative, {@code max} not positive,
         *     or {@code initial > max}
         */
        public Builder poolSize(int initial, int max) {
            if (initial < 0 || max <= 0 || initial > max) {
                throw new IllegalArgumentException("pool sizes must satisfy 0 <= initial <= max, 0 < max: " + initial + ", " + max);
            }
            this.poolInitialSize = initial;
            this.poolMaxSize = max;
            return this;
        }

        /**
         * Sets how many writer connections commit appends. Each holds one connection, opened beside
         * the pool: the store uses up to {@code lanes + 1} (LISTEN) connections beyond the pool's.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder writeLanes(int lanes) {
            positive(lanes, "writeLanes");
            this.writeLanes = lanes;
            return this;
        }

        /**
         * Sets the bounds of one group commit: the most events, payload bytes (data and metadata)
         * and distinct streams it carries. An append above a bound on its own is committed alone.
         *
         * @throws IllegalArgumentException if a bound is not positive
         */
        public Builder batchBounds(int maxEvents, long maxBytes, int maxStreams) {
            positive(maxEvents, "maxBatchEvents");
            if (maxBytes <= 0) {
                throw new IllegalArgumentException("maxBatchBytes must be positive: " + maxBytes);
            }
            positive(maxStreams, "maxBatchStreams");
            this.maxBatchEvents = maxEvents;
            this.maxBatchBytes = maxBytes;
            this.maxBatchStreams = maxStreams;
            return this;
        }

        /**
         * Sets how many appends a lane queues; further appends wait for room.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder maxQueuedAppends(int max) {
            positive(max, "maxQueuedAppends");
            this.maxQueuedAppends = max;
            return this;
        }

        /**
         * Sets how long a commit may take before its appends fail as unavailable, and how long an
         * append may wait to be sent.
         *
         * @throws NullPointerException if a duration is null
         * @throws IllegalArgumentException if a duration is not positive
         */
        public Builder appendTimeouts(Duration commitTimeout, Duration appendTimeout) {
            positive(commitTimeout, "commitTimeout");
            positive(appendTimeout, "appendTimeout");
            this.commitTimeout = commitTimeout;
            this.appendTimeout = appendTimeout;
            return this;
        }

        /** Returns the options. */
        public PostgresEventStoreOptions build() {
            return new PostgresEventStoreOptions(schema, pageSize, subscriberBufferSize, pollInterval, poolInitialSize, poolMaxSize,
                    writeLanes, maxBatchEvents, maxBatchBytes, maxBatchStreams, maxQueuedAppends, commitTimeout, appendTimeout);
        }
    }
}
