/**
 * The in-memory stores: {@link io.reactivees.inmemory.InMemoryEventStore} (the same contract as the
 * PostgreSQL store), and snapshot and checkpoint stores beside it, for tests, prototypes and
 * examples. Nothing survives the process.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.inmemory;

import org.jspecify.annotations.NullMarked;
