/**
 * The event store API: value types ({@link io.reactivees.core.StreamId},
 * {@link io.reactivees.core.EventData}, {@link io.reactivees.core.Position}, ...), the
 * {@link io.reactivees.core.EventStore} contract and its sealed
 * {@link io.reactivees.core.EventStoreException} hierarchy. No method accepts or returns null
 * unless its documentation says so.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core;

import org.jspecify.annotations.NullMarked;
