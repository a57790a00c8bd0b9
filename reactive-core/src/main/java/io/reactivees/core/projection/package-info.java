/**
 * Projections: read models fed by events, resumed from checkpoints by a
 * {@link io.reactivees.core.projection.ProjectionRunner}.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core.projection;

import org.jspecify.annotations.NullMarked;
