/**
 * The PostgreSQL event store on R2DBC: {@link io.reactivees.r2dbc.PostgresEventStore}, its
 * options, and the schema migrator.
 */
package io.reactivees.r2dbc;
