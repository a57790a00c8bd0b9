package io.reactivees.core;

import java.util.Objects;
import java.util.UUID;

/**
 * An append reused an event id that is already stored, and it is not a retry of the same append
 * (same stream, same versions); nothing of the commit was stored.
 */
public final class DuplicateEventException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final UUID eventId;
    private final StreamId streamId;

    /**
     * Creates the exception.
     *
     * @param eventId the id that is already stored
     * @param streamId the stream the rejected append wrote to
     */
    public DuplicateEventException(UUID eventId, StreamId streamId) {
        super("Event id " + Objects.requireNonNull(eventId, "eventId must not be null")
                + " appended to " + Objects.requireNonNull(streamId, "streamId must not be null")
                + " is already stored at another place", null);
        this.eventId = eventId;
        this.streamId = streamId;
    }

    /** The id that is already stored. */
    public UUID eventId() {
        return eventId;
    }

    /** The stream the rejected append wrote to. */
    public StreamId streamId() {
        return streamId;
    }
}
