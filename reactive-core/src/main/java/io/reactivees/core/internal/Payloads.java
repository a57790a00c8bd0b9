package io.reactivees.core.internal;

import io.reactivees.core.EventData;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * Builds {@link RecordedEvent}s and {@link EventData} over byte arrays their builder hands over, so
 * the value's constructor need not copy them: rows a store has just decoded, the bytes a serializer
 * has just written. The caller gives up the arrays: it must neither keep nor change them after the
 * call, and nothing else may hold them. Every other construction copies, as the public constructors
 * promise. Internal: no compatibility promise.
 *
 * <p>A record's canonical constructor runs on every construction, so the hand-over travels beside
 * the call: the factory parks the arrays in a slot of the calling thread, and the constructor keeps
 * an array only if it is that very array (by identity), consuming the slot. Nothing runs between
 * the two but the constructor's own checks, so no other construction can claim the arrays.
 */
public final class Payloads {

    /** In {@link #claim}'s answer: the payload was handed over. */
    public static final int DATA = 1;
    /** In {@link #claim}'s answer: the metadata was handed over. */
    public static final int METADATA = 2;
    /** In {@link #claim}'s answer: the payload handed over is known to be valid (another event's). */
    public static final int VALID_DATA = 4;
    /** In {@link #claim}'s answer: the metadata handed over is known to be valid (another event's). */
    public static final int VALID_METADATA = 8;

    /** Per thread: the arrays handed over (slots 0 and 1), and those of them known to be valid (2 and 3). */
    private static final ThreadLocal<byte[][]> HANDED_OVER = ThreadLocal.withInitial(() -> new byte[4][]);

    private Payloads() {}

    /**
     * Returns the event, without tags, over {@code data} and {@code metadata} as they are, uncopied;
     * see {@link #recordedEvent(UUID, StreamId, long, Position, String, byte[], byte[], Instant, Set)}.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException if {@code streamVersion} is below 1 or the type is blank
     */
    public static RecordedEvent recordedEvent(UUID eventId, StreamId streamId, long streamVersion, Position position,
                                              String type, byte[] data, byte[] metadata, Instant recordedAt) {
        return recordedEvent(eventId, streamId, streamVersion, position, type, data, metadata, recordedAt, Set.of());
    }

    /**
     * Returns the event over {@code data} and {@code metadata} as they are, uncopied; validated like
     * the public constructor.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException if {@code streamVersion} is below 1 or the type is blank
     */
    public static RecordedEvent recordedEvent(UUID eventId, StreamId streamId, long streamVersion, Position position,
                                              String type, byte[] data, byte[] metadata, Instant recordedAt,
                                              Set<String> tags) {
        byte[][] slots = HANDED_OVER.get();
        slots[0] = data;
        slots[1] = metadata;
        try {
            return new RecordedEvent(eventId, streamId, streamVersion, position, type, data, metadata, recordedAt, tags);
        } finally {
            slots[0] = null;
            slots[1] = null;
        }
    }

    /**
     * Returns the event data over {@code data} as it is, uncopied (a serializer's fresh output);
     * {@code metadata}, which the caller may still hold, is copied. Validated like the public
     * constructor, JSON included.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException for any reason the public constructor gives
     */
    public static EventData eventData(UUID eventId, String type, byte[] data, byte[] metadata) {
        byte[][] slots = HANDED_OVER.get();
        slots[0] = data;
        try {
            return new EventData(eventId, type, data, metadata);
        } finally {
            slots[0] = null;
        }
    }

    /**
     * For {@link EventData}'s own derived copies ({@code withEventId}, {@code withMetadata}): the event
     * over another event's payload (and, when {@code metadataValid}, its metadata), shared as they
     * are and not validated again; both are immutable and were validated when that event was made.
     * Metadata that is not another event's is copied and validated.
     *
     * @throws NullPointerException if any part is null
     * @throws IllegalArgumentException for any reason the public constructor gives
     */
    public static EventData sharing(UUID eventId, String type, byte[] validData, byte[] metadata, boolean metadataValid,
                                    Set<String> tags) {
        byte[][] slots = HANDED_OVER.get();
        slots[0] = validData;
        slots[2] = validData;
        if (metadataValid) {
            slots[1] = metadata;
            slots[3] = metadata;
        }
        try {
            return new EventData(eventId, type, validData, metadata, tags);
        } finally {
            java.util.Arrays.fill(slots, null);
        }
    }

    /**
     * For the value types' constructors only: which of {@code data} and {@code metadata} a factory of
     * this class handed over on this thread ({@link #DATA}, {@link #METADATA}, both or neither), and
     * which of those are known to be valid ({@link #VALID_DATA}, {@link #VALID_METADATA}), by
     * identity; the hand-over is consumed. The constructor copies what was not handed over, and
     * validates what is not known to be valid.
     */
    public static int claim(byte[] data, byte[] metadata) {
        byte[][] slots = HANDED_OVER.get();
        int owned = 0;
        if (slots[0] == data) {
            owned |= DATA;
            slots[0] = null;
            if (slots[2] == data) {
                owned |= VALID_DATA;
            }
        }
        if (slots[1] == metadata) {
            owned |= METADATA;
            slots[1] = null;
            if (slots[3] == metadata) {
                owned |= VALID_METADATA;
            }
        }
        slots[2] = null;
        slots[3] = null;
        return owned;
    }
}
