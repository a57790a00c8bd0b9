/**
 * Projections: read models fed by events, resumed from checkpoints by a
 * {@link io.reactivees.core.projection.ProjectionRunner}.
 */
package io.reactivees.core.projection;
