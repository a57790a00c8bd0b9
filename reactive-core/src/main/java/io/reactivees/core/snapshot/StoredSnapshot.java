package io.reactivees.core.snapshot;

import io.reactivees.core.StreamId;
import io.reactivees.core.internal.JsonBytes;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * A snapshot as a {@link SnapshotStore} keeps it: the state of one stream after its first
 * {@code streamVersion} events, as UTF-8 JSON, under a snapshot type name and a schema version.
 * Immutable: the byte array is copied in and out, and {@code equals}/{@code hashCode} compare its
 * contents.
 *
 * <p>The state must be JSON that every store can keep (the check is the one {@code EventData}
 * makes), so a snapshot accepted by the in-memory store is accepted by PostgreSQL too. A store may
 * normalise whitespace and key order of what it gives back.
 *
 * @param streamId the stream the state was built from
 * @param snapshotType names the kind of state, e.g. {@code account}; non-blank. One stream keeps at
 *     most one snapshot per type.
 * @param streamVersion the number of events the state includes; at least 1
 * @param schemaVersion the version of the state's JSON shape; not negative. A reader ignores a
 *     snapshot whose schema version is not the one it expects.
 * @param data the state: one JSON value, UTF-8
 */
public record StoredSnapshot(StreamId streamId, String snapshotType, long streamVersion, int schemaVersion, byte[] data) {

    /**
     * Validates and copies every part.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if the snapshot type is blank, {@code streamVersion} is below
     *     1, {@code schemaVersion} is negative, or {@code data} is not one JSON value every store
     *     can keep
     */
    public StoredSnapshot {
        Objects.requireNonNull(streamId, "streamId must not be null");
        requireSnapshotType(snapshotType);
        Objects.requireNonNull(data, "data must not be null");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("streamVersion must be at least 1: " + streamVersion);
        }
        if (schemaVersion < 0) {
            throw new IllegalArgumentException("schemaVersion must not be negative: " + schemaVersion);
        }
        data = data.clone();
        JsonBytes.requireJson(data, "snapshot data");
    }

    /**
     * Checks a snapshot type name, as every {@link SnapshotStore} method does at call time.
     *
     * @param snapshotType the name
     * @return the name
     * @throws NullPointerException if it is null
     * @throws IllegalArgumentException if it is blank
     */
    public static String requireSnapshotType(String snapshotType) {
        Objects.requireNonNull(snapshotType, "snapshotType must not be null");
        if (snapshotType.isBlank()) {
            throw new IllegalArgumentException("snapshotType must not be blank");
        }
        return snapshotType;
    }

    /** Returns a copy of the state bytes. */
    @Override
    public byte[] data() {
        return data.clone();
    }

    /** Returns the state decoded as UTF-8 text. */
    public String dataAsString() {
        return new String(data, StandardCharsets.UTF_8);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredSnapshot other
                && streamId.equals(other.streamId)
                && snapshotType.equals(other.snapshotType)
                && streamVersion == other.streamVersion
                && schemaVersion == other.schemaVersion
                && Arrays.equals(data, other.data);
    }

    @Override
    public int hashCode() {
        return Objects.hash(streamId, snapshotType, streamVersion, schemaVersion, Arrays.hashCode(data));
    }

    /** Returns where the snapshot belongs and its size; never the state. */
    @Override
    public String toString() {
        return "StoredSnapshot[" + streamId + "@" + streamVersion + ", type=" + snapshotType
                + ", schemaVersion=" + schemaVersion + ", data=" + data.length + " bytes]";
    }
}
