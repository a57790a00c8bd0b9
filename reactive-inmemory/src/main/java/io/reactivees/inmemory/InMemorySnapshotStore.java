package io.reactivees.inmemory;

import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.StoredSnapshot;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/**
 * A {@link SnapshotStore} held in memory, for tests and prototypes. It keeps the same contract as
 * the PostgreSQL snapshot store (the shared contract suite checks both), including the JSON check on
 * every state. Thread-safe: the latest snapshot per (stream, snapshot type) sits in a concurrent map.
 *
 * <pre>{@code
 * SnapshotStore snapshots = InMemorySnapshotStore.create();
 * }</pre>
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    private final Map<Key, StoredSnapshot> snapshots = new ConcurrentHashMap<>();

    private InMemorySnapshotStore() {}

    /** @return an empty store */
    public static InMemorySnapshotStore create() {
        return new InMemorySnapshotStore();
    }

    @Override
    public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
        Key key = new Key(stream, snapshotType);
        return Mono.fromSupplier(() -> snapshots.get(key));
    }

    @Override
    public Mono<Void> save(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        Key key = new Key(snapshot.streamId(), snapshot.snapshotType());
        return Mono.fromRunnable(() -> snapshots.put(key, snapshot));
    }

    private record Key(StreamId stream, String snapshotType) {
        Key {
            Objects.requireNonNull(stream, "stream must not be null");
            StoredSnapshot.requireSnapshotType(snapshotType);
        }
    }
}
