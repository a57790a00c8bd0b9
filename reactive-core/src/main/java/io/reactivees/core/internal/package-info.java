/**
 * Helpers shared by the store implementations. Not part of the API: anything here may change
 * without notice.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core.internal;

import org.jspecify.annotations.NullMarked;
