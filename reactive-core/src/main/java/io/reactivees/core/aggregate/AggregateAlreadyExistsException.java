package io.reactivees.core.aggregate;

import io.reactivees.core.StreamId;
import java.util.Objects;

/** {@link AggregateRepository#create} found the aggregate's stream already has events. */
public final class AggregateAlreadyExistsException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final StreamId streamId;

    /** @param streamId the stream that exists already */
    public AggregateAlreadyExistsException(StreamId streamId) {
        super("Aggregate " + Objects.requireNonNull(streamId, "streamId must not be null") + " already exists");
        this.streamId = streamId;
    }

    /** @return the stream that exists already */
    public StreamId streamId() {
        return streamId;
    }
}
