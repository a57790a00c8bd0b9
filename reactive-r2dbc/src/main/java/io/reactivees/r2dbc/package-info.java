/**
 * The PostgreSQL event store on R2DBC: {@link io.reactivees.r2dbc.PostgresEventStore}, its
 * options, the schema migrator, and the {@link io.reactivees.r2dbc.PostgresSnapshotStore} in the
 * same schema.
 */
package io.reactivees.r2dbc;
