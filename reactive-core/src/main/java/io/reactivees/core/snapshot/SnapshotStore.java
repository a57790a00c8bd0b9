package io.reactivees.core.snapshot;

import io.reactivees.core.StreamId;
import java.util.Objects;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * Keeps the latest snapshot of each (stream, snapshot type): at most one, the last one saved.
 * Snapshots are an optimisation, never the source of truth: a reader checks a snapshot's schema
 * version and stream version against what it expects and falls back to the events when they do not
 * fit (see {@link Snapshotter} and {@code AggregateRepository}).
 *
 * <p>The policy is not the store's: one store serves every aggregate type of an application, and
 * each passes its own {@link SnapshotPolicy} to {@link #offer}. Every method checks its arguments at
 * call time and throws {@link NullPointerException} or {@link IllegalArgumentException} before any
 * I/O. Every {@code Mono} is cold: nothing is read or written before subscription. I/O failures
 * arrive on the error track as {@link io.reactivees.core.StoreUnavailableException}.
 *
 * <p>Implementations are thread-safe.
 */
public interface SnapshotStore {

    /**
     * Reads the snapshot of a stream of a type.
     *
     * @param stream the stream
     * @param snapshotType the kind of state
     * @return a cold {@code Mono} of the snapshot last saved for this stream and type, or empty when
     *     there is none; it fails with {@link io.reactivees.core.StoreUnavailableException}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code snapshotType} is blank
     */
    Mono<StoredSnapshot> load(StreamId stream, String snapshotType);

    /**
     * Saves a snapshot, replacing the one kept for its stream and type whatever that one's stream or
     * schema version (the last write wins, so a snapshot that no longer fits is overwritten by the
     * next one taken). Concurrent saves to one stream and type leave one of them, whole.
     *
     * @param snapshot the snapshot
     * @return a cold {@code Mono} that completes when the snapshot is stored; it fails with
     *     {@link io.reactivees.core.StoreUnavailableException}, and then the snapshot kept before may
     *     or may not have been replaced
     * @throws NullPointerException if {@code snapshot} is null
     */
    Mono<Void> save(StoredSnapshot snapshot);

    /**
     * Offers a snapshot: asks {@code policy} whether one is due after
     * {@code eventsSinceLastSnapshot} events and, only if so, builds it with {@code snapshot} and
     * {@linkplain #save saves} it. When the policy declines, the supplier is never called, so
     * encoding a state costs nothing until a snapshot is wanted.
     *
     * @param policy decides whether a snapshot is due
     * @param eventsSinceLastSnapshot events appended since the last usable snapshot (or since the
     *     stream began)
     * @param snapshot builds the snapshot; called at most once per subscription, on subscription, and
     *     only when the policy says so
     * @return a cold {@code Mono} that emits {@code true} once the snapshot is saved, or {@code false}
     *     when the policy declined. It fails with what the supplier throws (a {@code null} result is
     *     a {@link NullPointerException}) or with {@link #save}'s errors.
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code eventsSinceLastSnapshot} is negative
     */
    default Mono<Boolean> offer(SnapshotPolicy policy, long eventsSinceLastSnapshot, Supplier<StoredSnapshot> snapshot) {
        Objects.requireNonNull(policy, "policy must not be null");
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        if (eventsSinceLastSnapshot < 0) {
            throw new IllegalArgumentException("eventsSinceLastSnapshot must not be negative: " + eventsSinceLastSnapshot);
        }
        return Mono.defer(() -> {
            if (!policy.shouldTake(eventsSinceLastSnapshot)) {
                return Mono.just(false);
            }
            StoredSnapshot built = Objects.requireNonNull(snapshot.get(), "the snapshot supplier returned null");
            return save(built).thenReturn(true);
        });
    }
}
