package io.reactivees.core.projection;

import io.reactivees.core.Position;
import java.time.Duration;
import java.util.Objects;

/**
 * A projection did not apply a position within the time a caller gave it
 * ({@link ProjectionRunner#awaitApplied}): it is behind, stopped, or held back by the store's read
 * horizon (an older transaction still open). Waiting longer may help.
 */
public final class ProjectionTimeoutException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String projection;
    private final Position position;
    private final Duration timeout;

    /**
     * @param projection the projection's name
     * @param position the position waited for
     * @param timeout how long it was waited for
     * @throws NullPointerException if an argument is null
     */
    public ProjectionTimeoutException(String projection, Position position, Duration timeout) {
        super("projection " + projection + " did not apply position " + position + " within " + timeout
                + ": it is behind, stopped, or held back by an older transaction that is still open");
        this.projection = Objects.requireNonNull(projection, "projection must not be null");
        this.position = Objects.requireNonNull(position, "position must not be null");
        this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
    }

    /** @return the projection's name */
    public String projection() {
        return projection;
    }

    /** @return the position waited for */
    public Position position() {
        return position;
    }

    /** @return how long it was waited for */
    public Duration timeout() {
        return timeout;
    }
}
