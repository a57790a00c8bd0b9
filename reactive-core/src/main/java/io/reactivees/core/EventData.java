package io.reactivees.core;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import io.reactivees.core.internal.JsonBytes;
import io.reactivees.core.internal.Payloads;
import java.util.UUID;
import tools.jackson.core.JsonToken;

/**
 * An event ready to be appended: its id (the key for idempotent retries), its type name, and its
 * payload and metadata as UTF-8 JSON, and the tags that queries and append conditions select it by
 * (see {@link EventFilter#forTags}). Immutable: the byte arrays are copied in and out (or shared
 * between this event and those derived from it, never exposed), and {@code equals}/{@code hashCode}
 * compare their contents.
 *
 * @param eventId the event's unique id; appending the same id again is either an idempotent retry
 *     or a {@link DuplicateEventException}
 * @param type the event type name, e.g. {@code account.deposited}; non-blank
 * @param data the payload: one JSON value, UTF-8
 * @param metadata the metadata: one JSON object, UTF-8 ({@code {}} when there is none)
 * @param tags the tags, such as {@code seat:12A}: each non-blank; a sorted, unmodifiable copy, empty
 *     when there are none
 */
public record EventData(UUID eventId, String type, byte[] data, byte[] metadata, Set<String> tags) {

    private static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    /**
     * Validates and copies every part.
     *
     * @throws NullPointerException if any part or tag is null
     * @throws IllegalArgumentException if the type or a tag is blank or holds NUL or an unpaired
     *     surrogate, {@code data} is not one JSON value, or {@code metadata} is not one JSON object
     */
    public EventData {
        tags = Tags.copyOf(tags);
        Objects.requireNonNull(eventId, "eventId must not be null");
        Objects.requireNonNull(type, "type must not be null");
        Objects.requireNonNull(data, "data must not be null");
        Objects.requireNonNull(metadata, "metadata must not be null");
        if (type.isBlank()) {
            throw new IllegalArgumentException("type must not be blank");
        }
        StoredText.require(type, "type");
        // A serializer's fresh output comes through Payloads, which hands the array over.
        int handedOver = Payloads.claim(data, metadata);
        data = (handedOver & Payloads.DATA) != 0 ? data : data.clone();
        metadata = (handedOver & Payloads.METADATA) != 0 ? metadata : metadata.clone();
        if ((handedOver & Payloads.VALID_DATA) == 0) {
            JsonBytes.requireJson(data, "data");
        }
        if ((handedOver & Payloads.VALID_METADATA) == 0 && JsonBytes.requireJson(metadata, "metadata") != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("metadata must be a JSON object");
        }
    }

    /**
     * Creates an event without tags.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException if the type is blank or holds NUL or an unpaired surrogate,
     *     {@code data} is not one JSON value, or {@code metadata} is not one JSON object
     */
    public EventData(UUID eventId, String type, byte[] data, byte[] metadata) {
        this(eventId, type, data, metadata, Tags.none());
    }

    /**
     * Returns an event with a random id and empty metadata.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the type is blank or {@code data} is not one JSON value
     */
    public static EventData of(String type, byte[] data) {
        return new EventData(UUID.randomUUID(), type, data, EMPTY_OBJECT);
    }

    /**
     * Returns an event with a random id and empty metadata, from JSON text.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the type is blank or {@code json} is not one JSON value
     */
    public static EventData of(String type, String json) {
        Objects.requireNonNull(json, "json must not be null");
        return of(type, json.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Returns an event with a random id and the given metadata.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the type is blank, {@code data} is not one JSON value or
     *     {@code metadata} is not one JSON object
     */
    public static EventData of(String type, byte[] data, byte[] metadata) {
        return new EventData(UUID.randomUUID(), type, data, metadata);
    }

    /**
     * Returns this event with another id. The payload and metadata are shared with this event, not
     * copied or parsed again: both values are immutable.
     *
     * @throws NullPointerException if {@code newEventId} is null
     */
    public EventData withEventId(UUID newEventId) {
        return Payloads.sharing(newEventId, type, data, metadata, true, tags);
    }

    /**
     * Returns this event with {@code newTags} instead of its tags; payload and metadata are shared.
     *
     * @throws NullPointerException if {@code newTags} or a tag is null
     * @throws IllegalArgumentException if a tag is blank or not storable text
     */
    public EventData withTags(Collection<String> newTags) {
        return Payloads.sharing(eventId, type, data, metadata, true, Tags.copyOf(newTags));
    }

    /**
     * Returns this event with {@code newTags} instead of its tags; payload and metadata are shared.
     *
     * @throws NullPointerException if {@code newTags} or a tag is null
     * @throws IllegalArgumentException if a tag is blank or not storable text
     */
    public EventData withTags(String... newTags) {
        Objects.requireNonNull(newTags, "tags must not be null");
        return withTags(Arrays.asList(newTags));
    }

    /**
     * Returns this event with other metadata (copied and validated); the payload is shared.
     *
     * @throws NullPointerException if {@code newMetadata} is null
     * @throws IllegalArgumentException if {@code newMetadata} is not one JSON object
     */
    public EventData withMetadata(byte[] newMetadata) {
        return Payloads.sharing(eventId, type, data, newMetadata, false, tags);
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
     * Returns a read-only view of the payload bytes, without copying them ({@link ByteBuffer#hasArray()}
     * is false); moving its position affects no other view.
     */
    public ByteBuffer dataBuffer() {
        return ByteBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** Returns a read-only view of the metadata bytes, without copying them; see {@link #dataBuffer()}. */
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

    /** Returns the size of the payload in bytes, without copying it. */
    public int dataLength() {
        return data.length;
    }

    /** Returns the size of the metadata in bytes, without copying it. */
    public int metadataLength() {
        return metadata.length;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof EventData other
                && eventId.equals(other.eventId)
                && type.equals(other.type)
                && Arrays.equals(data, other.data)
                && Arrays.equals(metadata, other.metadata)
                && tags.equals(other.tags);
    }

    @Override
    public int hashCode() {
        return Objects.hash(eventId, type, Arrays.hashCode(data), Arrays.hashCode(metadata), tags);
    }

    /** Returns the id, type, tags and sizes; never the payload. */
    @Override
    public String toString() {
        return "EventData[eventId=" + eventId + ", type=" + type + (tags.isEmpty() ? "" : ", tags=" + tags)
                + ", data=" + data.length + " bytes, metadata=" + metadata.length + " bytes]";
    }
}
