/**
 * The example's storage: which store it runs on (PostgreSQL when {@code spring.r2dbc.url} is set, in
 * memory otherwise), and its PostgreSQL read model and idempotency tables.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.examples.storage;

import org.jspecify.annotations.NullMarked;
