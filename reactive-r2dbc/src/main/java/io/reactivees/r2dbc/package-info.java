/**
 * The PostgreSQL event store on R2DBC: {@link io.reactivees.r2dbc.PostgresEventStore}, its
 * options, the schema migrator, and the {@link io.reactivees.r2dbc.PostgresSnapshotStore} in the
 * same schema.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.r2dbc;

import org.jspecify.annotations.NullMarked;
