package io.reactivees.core.aggregate;

import io.reactivees.core.StreamId;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.UUID;

/**
 * The event ids of a command that carries a command id ({@link CommandMetadata#commandId()}): the
 * {@code index}-th event (from 0) that the command appends to {@code stream} gets the id
 * {@link #eventId(String, StreamId, int)}. Every run of the command derives the same ids, which is
 * what lets a repository recognise a command that has committed before.
 *
 * <p><b>A persisted contract.</b> These ids are stored with the events, and a later version of the
 * library must derive the same ids from the same command, or a command retried across an upgrade
 * would run twice. The derivation is therefore fixed, and pinned by a test of known values:
 *
 * <ul>
 *   <li>a name-based UUID of version 5 (RFC 4122, section 4.3: SHA-1 over the namespace's 16 bytes
 *       followed by the name; the first 16 bytes of the digest, with the version set to 5 and the
 *       IETF variant), over the fixed namespace {@link #NAMESPACE}
 *       {@code aef19445-829f-4bf8-90b6-6e2499982cd0};
 *   <li>the name is, in this order: the command id's UTF-8 bytes preceded by their length, the
 *       stream's text form ({@link StreamId#toString()}, {@code category-id}) as UTF-8 bytes preceded
 *       by their length, and the index; each length and the index a 4-byte big-endian unsigned
 *       integer. Every part has its length in front, so no two (command id, stream, index) triples
 *       share a name.
 * </ul>
 */
public final class CommandIds {

    /** The namespace of every derived event id; part of the persisted contract. */
    public static final UUID NAMESPACE = UUID.fromString("aef19445-829f-4bf8-90b6-6e2499982cd0");

    private static final byte[] NAMESPACE_BYTES = ByteBuffer.allocate(16)
            .putLong(NAMESPACE.getMostSignificantBits())
            .putLong(NAMESPACE.getLeastSignificantBits())
            .array();

    private CommandIds() {}

    /**
     * Derives the id of one event of a command.
     *
     * @param commandId the command id, as {@link CommandMetadata#commandId()} holds it
     * @param stream the stream the event is appended to
     * @param index the event's place among the command's events in that stream, from 0
     * @return the event id: the same for the same arguments, always
     * @throws NullPointerException if {@code commandId} or {@code stream} is null
     * @throws IllegalArgumentException if {@code commandId} is blank or {@code index} is negative
     */
    public static UUID eventId(String commandId, StreamId stream, int index) {
        Objects.requireNonNull(commandId, "commandId must not be null");
        Objects.requireNonNull(stream, "stream must not be null");
        if (commandId.isBlank()) {
            throw new IllegalArgumentException("commandId must not be blank");
        }
        if (index < 0) {
            throw new IllegalArgumentException("index must not be negative: " + index);
        }
        byte[] id = commandId.getBytes(StandardCharsets.UTF_8);
        byte[] streamText = stream.toString().getBytes(StandardCharsets.UTF_8);
        byte[] name = ByteBuffer.allocate(4 + id.length + 4 + streamText.length + 4)
                .putInt(id.length).put(id)
                .putInt(streamText.length).put(streamText)
                .putInt(index)
                .array();
        MessageDigest sha1 = sha1();
        sha1.update(NAMESPACE_BYTES);
        byte[] hash = sha1.digest(name);
        hash[6] = (byte) ((hash[6] & 0x0f) | 0x50); // version 5
        hash[8] = (byte) ((hash[8] & 0x3f) | 0x80); // IETF variant
        ByteBuffer bits = ByteBuffer.wrap(hash, 0, 16);
        return new UUID(bits.getLong(), bits.getLong());
    }

    private static MessageDigest sha1() {
        try {
            return MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-1", e);
        }
    }
}
