package io.reactivees.r2dbc;

import io.reactivees.core.Position;
import java.time.Duration;
import java.util.Objects;

/**
 * The store's read horizon did not pass a position within the time a caller gave it
 * ({@link PostgresEventStore#load(io.reactivees.core.EventQuery, Position, Duration)}): a
 * transaction older than the position's commit is still open somewhere in the cluster (the horizon is
 * cluster-wide), so events up to the position cannot all be read yet. Waiting longer may help; the
 * store never reads past the horizon.
 */
public final class ReadHorizonTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Position position;
    private final Duration timeout;
    private final long horizon;

    /**
     * @param position the position waited for
     * @param timeout how long it was waited for
     * @param horizon the last horizon seen: the oldest transaction id still open
     * @throws NullPointerException if an argument is null
     */
    public ReadHorizonTimeoutException(Position position, Duration timeout, long horizon) {
        super("the read horizon did not pass position " + position + " within " + timeout + ": transaction " + horizon
                + " (older than the position's commit) is still open; it holds every read back until it ends");
        this.position = Objects.requireNonNull(position, "position must not be null");
        this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
        this.horizon = horizon;
    }

    /** @return the position waited for */
    public Position position() {
        return position;
    }

    /** @return how long it was waited for */
    public Duration timeout() {
        return timeout;
    }

    /** @return the last horizon seen: the id of the oldest transaction still open then */
    public long horizon() {
        return horizon;
    }
}
