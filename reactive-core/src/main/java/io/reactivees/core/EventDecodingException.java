package io.reactivees.core;

import java.util.Objects;
import org.jspecify.annotations.Nullable;

/** A stored event could not be turned into a domain event: unknown type or undecodable payload. */
public final class EventDecodingException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final StreamId streamId;
    private final long streamVersion;
    private final String type;

    /**
     * Creates the exception.
     *
     * @param streamId the event's stream
     * @param streamVersion the event's version in it
     * @param type the event's stored type name
     * @param reason what went wrong, for the message
     * @param cause the underlying failure, or null
     */
    public EventDecodingException(StreamId streamId, long streamVersion, String type, String reason, @Nullable Throwable cause) {
        super("Cannot decode event " + Objects.requireNonNull(streamId, "streamId must not be null") + "@" + streamVersion
                + " of type " + Objects.requireNonNull(type, "type must not be null") + ": " + reason, cause);
        this.streamId = streamId;
        this.streamVersion = streamVersion;
        this.type = type;
    }

    /** The event's stream. */
    public StreamId streamId() {
        return streamId;
    }

    /** The event's version in its stream. */
    public long streamVersion() {
        return streamVersion;
    }

    /** The event's stored type name. */
    public String type() {
        return type;
    }
}
