package io.reactivees.examples.web;

import io.reactivees.core.RecordedEvent;
import java.time.Instant;
import java.util.UUID;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A stored event as the API shows it: its place in the store and its JSON payload and metadata as
 * they were stored.
 *
 * @param position its place in the global order ({@code commit:sequence}); also the SSE id
 * @param eventId its id
 * @param stream its stream, {@code account-<id>}
 * @param version its version in the stream
 * @param type its type name, e.g. {@code account.deposited}
 * @param data its payload
 * @param metadata its metadata, e.g. the {@code correlationId} of the request that caused it
 * @param recordedAt when the store recorded it
 */
public record EventResponse(String position, UUID eventId, String stream, long version, String type, JsonNode data,
                            JsonNode metadata, Instant recordedAt) {

    static EventResponse of(RecordedEvent event, JsonMapper json) {
        return new EventResponse(event.position().toString(), event.eventId(), event.streamId().toString(),
                event.streamVersion(), event.type(), json.readTree(event.data()), json.readTree(event.metadata()),
                event.recordedAt());
    }
}
