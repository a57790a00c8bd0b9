package io.reactivees.core.snapshot;

import io.reactivees.core.StreamId;
import java.util.Objects;

/**
 * A snapshot decoded: the state of one stream after its first {@code streamVersion} events. What
 * {@link Snapshotter#load} emits; {@link StoredSnapshot} is the JSON form a store keeps.
 *
 * @param streamId the stream the state was built from
 * @param snapshotType the kind of state
 * @param streamVersion the number of events the state includes; at least 1
 * @param schemaVersion the version of the state's JSON shape it was stored with
 * @param state the state
 * @param <S> the state type
 */
public record Snapshot<S>(StreamId streamId, String snapshotType, long streamVersion, int schemaVersion, S state) {

    /**
     * Validates the parts.
     *
     * @throws NullPointerException if a part is null
     * @throws IllegalArgumentException if the snapshot type is blank, {@code streamVersion} is below
     *     1 or {@code schemaVersion} is negative
     */
    public Snapshot {
        Objects.requireNonNull(streamId, "streamId must not be null");
        StoredSnapshot.requireSnapshotType(snapshotType);
        Objects.requireNonNull(state, "state must not be null");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("streamVersion must be at least 1: " + streamVersion);
        }
        if (schemaVersion < 0) {
            throw new IllegalArgumentException("schemaVersion must not be negative: " + schemaVersion);
        }
    }
}
