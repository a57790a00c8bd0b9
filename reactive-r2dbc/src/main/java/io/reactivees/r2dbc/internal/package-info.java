/**
 * Driver extensions of the PostgreSQL store, found by r2dbc-postgresql through {@link
 * java.util.ServiceLoader}. Not part of the API: anything here may change without notice.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.r2dbc.internal;

import org.jspecify.annotations.NullMarked;
