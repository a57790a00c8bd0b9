package io.reactivees.examples;

import io.reactivees.core.aggregate.RetryPolicy;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The application's settings, under {@code reactivees.*}. Every one has a default; with none given
 * the bank runs in memory.
 *
 * @param r2dbc where the PostgreSQL store is, if any
 * @param retry how commands retry after a concurrency conflict
 * @param idempotency how long {@code Idempotency-Key} records are kept
 */
@ConfigurationProperties("reactivees")
public record BankProperties(@DefaultValue R2dbc r2dbc, @DefaultValue Retry retry, @DefaultValue Idempotency idempotency) {

    /**
     * The records of requests sent with an {@code Idempotency-Key}.
     *
     * @param timeToLive how long a key's record (and so its answer) is kept after the request
     *     ({@code reactivees.idempotency.time-to-live}, default 24 hours); a key sent after that runs
     *     again (its commands are still recognised by their command id)
     * @param inFlightTimeout how long a request that took a key and never answered (its instance
     *     died) holds it ({@code reactivees.idempotency.in-flight-timeout}, default 30 s)
     * @param purgeInterval how often expired records are deleted
     *     ({@code reactivees.idempotency.purge-interval}, default 10 minutes)
     */
    public record Idempotency(@DefaultValue("24h") Duration timeToLive, @DefaultValue("30s") Duration inFlightTimeout,
                              @DefaultValue("10m") Duration purgeInterval) {}

    /**
     * The PostgreSQL store.
     *
     * @param url an R2DBC URL such as {@code r2dbc:postgresql://user:secret@localhost:5432/bank}
     *     ({@code reactivees.r2dbc.url}, or the environment variable {@code REACTIVEES_R2DBC_URL});
     *     without one the bank runs on the in-memory store
     * @param schema the schema of the store's tables and the read model's ({@code reactivees.r2dbc.schema},
     *     default {@code bank}); created at start
     * @param poolSize the most pooled connections ({@code reactivees.r2dbc.pool-size}, default 10)
     */
    public record R2dbc(String url, @DefaultValue("bank") String schema, @DefaultValue("10") int poolSize) {}

    /**
     * Retries after a concurrency conflict (another request changed the account first): exponential
     * backoff with jitter, as {@link RetryPolicy} describes. A command still conflicting after the
     * last attempt answers 409.
     *
     * @param maxAttempts the most times a command runs ({@code reactivees.retry.max-attempts}, default 20)
     * @param minBackoff the first pause ({@code reactivees.retry.min-backoff}, default 5 ms)
     * @param maxBackoff the longest pause ({@code reactivees.retry.max-backoff}, default 500 ms)
     * @param jitter the random part of each pause, 0 to 1 ({@code reactivees.retry.jitter}, default 0.5)
     */
    public record Retry(@DefaultValue("20") int maxAttempts, @DefaultValue("5ms") Duration minBackoff,
                        @DefaultValue("500ms") Duration maxBackoff, @DefaultValue("0.5") double jitter) {

        /**
         * @return the policy
         * @throws IllegalArgumentException if a value is out of range
         */
        public RetryPolicy policy() {
            return new RetryPolicy(maxAttempts, minBackoff, maxBackoff, jitter);
        }
    }
}
