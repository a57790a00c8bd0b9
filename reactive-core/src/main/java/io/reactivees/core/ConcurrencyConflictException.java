package io.reactivees.core;

import java.util.Objects;

/**
 * An append found its stream at another version than it expected; nothing of the commit was stored.
 * Reload the stream and decide again.
 */
public final class ConcurrencyConflictException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final StreamId streamId;
    private final ExpectedVersion expected;
    private final long actualVersion;

    /**
     * Creates the exception.
     *
     * @param streamId the stream whose version did not match
     * @param expected what the append expected
     * @param actualVersion the stream's version when the append ran (0: it did not exist)
     */
    public ConcurrencyConflictException(StreamId streamId, ExpectedVersion expected, long actualVersion) {
        super("Stream " + Objects.requireNonNull(streamId, "streamId must not be null")
                + " expected " + Objects.requireNonNull(expected, "expected must not be null")
                + " but is at version " + actualVersion, null);
        this.streamId = streamId;
        this.expected = expected;
        this.actualVersion = actualVersion;
    }

    /** The stream whose version did not match. */
    public StreamId streamId() {
        return streamId;
    }

    /** What the append expected. */
    public ExpectedVersion expected() {
        return expected;
    }

    /** The stream's version when the append ran; 0 when it did not exist. */
    public long actualVersion() {
        return actualVersion;
    }
}
