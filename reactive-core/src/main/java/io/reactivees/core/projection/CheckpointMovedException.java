package io.reactivees.core.projection;

import java.util.Objects;
import java.util.Optional;
import org.jspecify.annotations.Nullable;

/**
 * A projection's checkpoint is not where its runner expected it: another runner applied events
 * meanwhile (a lease handover, two runners without a lease) or a rebuild started a new epoch. The
 * event was not applied (its transaction rolled back); the runner reloads the checkpoint and resumes
 * from there. It is the fence that keeps two runners from both applying an event, not a failure.
 */
public final class CheckpointMovedException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String projection;
    private final transient Checkpoint expected;
    private final transient @Nullable Checkpoint actual;

    /**
     * @param projection the projection's name
     * @param expected the checkpoint the runner expected
     * @param actual the checkpoint found; null when there was none
     * @throws NullPointerException if {@code projection} or {@code expected} is null
     */
    public CheckpointMovedException(String projection, Checkpoint expected, @Nullable Checkpoint actual) {
        super("the checkpoint of projection " + projection + " moved: expected " + expected + ", found " + actual
                + "; another runner or a rebuild got there first");
        this.projection = Objects.requireNonNull(projection, "projection must not be null");
        this.expected = Objects.requireNonNull(expected, "expected must not be null");
        this.actual = actual;
    }

    /** @return the projection's name */
    public String projection() {
        return projection;
    }

    /** @return the checkpoint the runner expected */
    public Checkpoint expected() {
        return expected;
    }

    /** @return the checkpoint found, empty when there was none */
    public Optional<Checkpoint> actual() {
        return Optional.ofNullable(actual);
    }
}
