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
 */
public record PostgresEventStoreOptions(
        String schema,
        int pageSize,
        int subscriberBufferSize,
        Duration pollInterval,
        int poolInitialSize,
        int poolMaxSize) {

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
        Objects.requireNonNull(pollInterval, "pollInterval must not be null");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive: " + pollInterval);
        }
        if (poolInitialSize < 0) {
            throw new IllegalArgumentException("poolInitialSize must not be negative: " + poolInitialSize);
        }
        positive(poolMaxSize, "poolMaxSize");
        if (poolInitialSize > poolMaxSize) {
            throw new IllegalArgumentException(
                    "poolInitialSize (" + poolInitialSize + ") must not exceed poolMaxSize (" + poolMaxSize + ")");
        }
    }

    /** The defaults: schema {@code reactivees}, pages of 1000, buffers of 1024, polls every second, pool 1..10. */
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

    /** Builds {@link PostgresEventStoreOptions}. */
    public static final class Builder {
        private String schema = "reactivees";
        private int pageSize = 1000;
        private int subscriberBufferSize = 1024;
        private Duration pollInterval = Duration.ofSeconds(1);
        private int poolInitialSize = 1;
        private int poolMaxSize = 10;

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
            Objects.requireNonNull(interval, "pollInterval must not be null");
            if (interval.isNegative() || interval.isZero()) {
                throw new IllegalArgumentException("pollInterval must be positive: " + interval);
            }
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

        /** Returns the options. */
        public PostgresEventStoreOptions build() {
            return new PostgresEventStoreOptions(schema, pageSize, subscriberBufferSize, pollInterval, poolInitialSize, poolMaxSize);
        }
    }
}
