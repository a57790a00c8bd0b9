/**
 * Snapshots: the state of a stream after its first n events, kept so that loading an aggregate
 * replays only the events after it. {@link io.reactivees.core.snapshot.SnapshotStore} keeps the
 * latest {@link io.reactivees.core.snapshot.StoredSnapshot} per stream and snapshot type and offers
 * new ones lazily under a {@link io.reactivees.core.snapshot.SnapshotPolicy};
 * {@link io.reactivees.core.snapshot.Snapshotter} turns states into JSON and back and is what an
 * {@code AggregateRepository} is given. Snapshots are an optimisation, never the source of truth: one
 * of another schema version, one ahead of its stream, or one that cannot be decoded is ignored and
 * the events are replayed in full. No method accepts or returns null unless its documentation says
 * so.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core.snapshot;

import org.jspecify.annotations.NullMarked;
