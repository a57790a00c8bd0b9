package io.reactivees.core.aggregate;

import io.reactivees.core.StreamId;
import java.util.Objects;

/** {@link AggregateRepository#update} found no aggregate: its stream has no events. */
public final class AggregateNotFoundException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final StreamId streamId;

    /** @param streamId the stream that does not exist */
    public AggregateNotFoundException(StreamId streamId) {
        super("Aggregate " + Objects.requireNonNull(streamId, "streamId must not be null") + " does not exist");
        this.streamId = streamId;
    }

    /** @return the stream that does not exist */
    public StreamId streamId() {
        return streamId;
    }
}
