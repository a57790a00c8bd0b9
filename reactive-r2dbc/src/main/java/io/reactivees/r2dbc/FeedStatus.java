package io.reactivees.r2dbc;

import io.reactivees.core.Position;
import java.time.Instant;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * How far a store's shared live feed is behind the log.
 *
 * @param deliveredThrough the feed has handed every event up to this position to live subscriptions
 * @param eventsBehind committed events after {@code deliveredThrough}, not yet read by the feed
 *     (they wait for the next wake-up, or for an older transaction still open to finish)
 * @param lastAdvancedAt when the feed last moved forward, or {@code null} if it has not started
 * @param running whether the feed is running (it starts with the first live subscription)
 */
public record FeedStatus(Position deliveredThrough, long eventsBehind, @Nullable Instant lastAdvancedAt, boolean running) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if {@code deliveredThrough} is null
     * @throws IllegalArgumentException if {@code eventsBehind} is negative
     */
    public FeedStatus {
        Objects.requireNonNull(deliveredThrough, "deliveredThrough must not be null");
        if (eventsBehind < 0) {
            throw new IllegalArgumentException("eventsBehind must not be negative: " + eventsBehind);
        }
    }
}
