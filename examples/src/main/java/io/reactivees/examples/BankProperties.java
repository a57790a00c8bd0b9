package io.reactivees.examples;

import io.reactivees.core.aggregate.RetryPolicy;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The bank's own settings, under {@code bank.*}; every one has a default. The store is the
 * starter's ({@code spring.r2dbc.url} and {@code reactivees.*}; see the README's "Spring Boot").
 *
 * @param retry how commands retry after a concurrency conflict
 * @param idempotency how long {@code Idempotency-Key} records are kept
 * @param events the event stream, {@code GET /events}
 */
@ConfigurationProperties("bank")
public record BankProperties(@DefaultValue Retry retry, @DefaultValue Idempotency idempotency, @DefaultValue Events events) {

    /**
     * The server-sent event stream.
     *
     * @param heartbeatInterval how long a stream may go without sending anything before it sends a
     *     comment line, so that proxies and load balancers do not close an idle connection and a
     *     client notices a dead one ({@code bank.events.heartbeat-interval}, default 15 s)
     */
    public record Events(@DefaultValue("15s") Duration heartbeatInterval) {

        /** @throws IllegalArgumentException if the interval is not positive */
        public Events {
            if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
                throw new IllegalArgumentException("bank.events.heartbeat-interval must be positive: " + heartbeatInterval);
            }
        }
    }

    /**
     * The records of requests sent with an {@code Idempotency-Key}.
     *
     * @param timeToLive how long a key's record (and so its answer) is kept after the request
     *     ({@code bank.idempotency.time-to-live}, default 24 hours); a key sent after that runs
     *     again (its commands are still recognised by their command id)
     * @param inFlightTimeout how long a request that took a key and never answered (its instance
     *     died) holds it ({@code bank.idempotency.in-flight-timeout}, default 30 s)
     * @param purgeInterval how often expired records are deleted
     *     ({@code bank.idempotency.purge-interval}, default 10 minutes)
     */
    public record Idempotency(@DefaultValue("24h") Duration timeToLive, @DefaultValue("30s") Duration inFlightTimeout,
                              @DefaultValue("10m") Duration purgeInterval) {}

    /**
     * Retries after a concurrency conflict (another request changed the account first): exponential
     * backoff with jitter, as {@link RetryPolicy} describes. A command still conflicting after the
     * last attempt answers 409.
     *
     * @param maxAttempts the most times a command runs ({@code bank.retry.max-attempts}, default 20)
     * @param minBackoff the first pause ({@code bank.retry.min-backoff}, default 5 ms)
     * @param maxBackoff the longest pause ({@code bank.retry.max-backoff}, default 500 ms)
     * @param jitter the random part of each pause, 0 to 1 ({@code bank.retry.jitter}, default 0.5)
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
