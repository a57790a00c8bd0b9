package io.reactivees.core;

import io.reactivees.core.internal.Payloads;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * An event as the store keeps it: the appended {@link EventData} plus where it landed. Immutable:
 * the byte arrays are copied in and out, and {@code equals}/{@code hashCode} compare their contents.
 * To read the bytes without a copy, use the read-only views {@link #dataBuffer()} and
 * {@link #metadataBuffer()}: one event may be handed to many subscribers, so none of them can ever
 * reach a mutable array.
 *
 * @param eventId the id it was appended with
 * @param streamId the stream it belongs to
 * @param streamVersion its version in the stream, from 1
 * @param position its place in the global order
 * @param type its type name
 * @param data the payload, UTF-8 JSON (a store may normalise whitespace and key order)
 * @param metadata the metadata, a UTF-8 JSON object
 * @param recordedAt when the store recorded it
 * @param tags the tags it was appended with; a sorted, unmodifiable copy, empty when there are none
 */
public record RecordedEvent(
        UUID eventId,
        StreamId streamId,
        long streamVersion,
        Position position,
        String type,
        byte[] data,
        byte[] metadata,
        Instant recordedAt,
        Set<String> tags) {

    /**
     * Validates and copies every part.
     *
     * @throws NullPointerException if any part or tag is null
     * @throws IllegalArgumentException if {@code streamVersion} is below 1, or the type or a tag is
     *     blank
     */
    public RecordedEvent {
        tags = Tags.copyOf(tags);
        Objects.requireNonNull(eventId, "eventId must not be null");
        Objects.requireNonNull(streamId, "streamId must not be null");
        Objects.requireNonNull(position, "position must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(metadata, "metadata must not be null");
        Objects.requireNonNull(recordedAt, "recordedAt must not be null");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("streamVersion must be at least 1: " + streamVersion);
        }
        if (type.isBlank()) {
            throw new IllegalArgumentException("type must not be blank");
        }
        // A store's rows and a serializer's output come through Payloads, which hands the arrays over.
        int handedOver = Payloads.claim(data, metadata);
        data = (handedOver & Payloads.DATA) != 0 ? data : data.clone();
        metadata = (handedOver & Payloads.METADATA) != 0 ? metadata : metadata.clone();
    }

    /**
     * Creates an event without tags.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException if {@code streamVersion} is below 1 or the type is blank
     */
    public RecordedEvent(UUID eventId, StreamId streamId, long streamVersion, Position position, String type,
                         byte[] data, byte[] metadata, Instant recordedAt) {
        this(eventId, streamId, streamVersion, position, type, data, metadata, recordedAt, Tags.none());
    }

    /** Returns a copy of the payload bytes. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Returns a copy of the metadata bytes. */
    @Override
    public byte[] metadata() {
        return metadata.clone();
    }

    /**
     * Returns a read-only view of the payload, without copying it: a new buffer on each call,
     * positioned at 0 with the payload's length as its limit. It has no accessible array
     * ({@link ByteBuffer#hasArray()} is false), and moving its position affects no other view.
     */
    public ByteBuffer dataBuffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** Returns a read-only view of the metadata, without copying it; see {@link #dataBuffer()}. */
    public ByteBuffer metadataBuffer() {
        return ByteBuffer.wrap(metadata).asReadOnlyBuffer();
    }

    /** Returns the payload decoded as UTF-8 text. */
    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    /** Returns the metadata decoded as UTF-8 text. */
    public String metadataAsString() {
        return new String(metadata, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RecordedEvent other
                && eventId.equals(other.eventId)
                && streamId.equals(other.streamId)
                && streamVersion == other.streamVersion
                && position.equals(other.position)
                && type.equals(other.type)
                && Arrays.equals(data, other.data)
                && Arrays.equals(metadata, other.metadata)
                && recordedAt.equals(other.recordedAt)
                && tags.equals(other.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, streamId, streamVersion, position, type,
                Arrays.hashCode(data), Arrays.hashCode(metadata), recordedAt, tags);
    }

    /** Returns where the event is and what it is; never the payload. */
    @Override
    public String toString() {
        return "RecordedEvent[" + streamId + "@" + streamVersion + ", position=" + position + ", type=" + type
                + (tags.isEmpty() ? "" : ", tags=" + tags) + ", eventId=" + eventId + ", data=" + data.length + " bytes]";
    }
}
