/**
 * Actuator support: reactive health indicators for the store and the projections (in the readiness group,
 * never liveness) and the {@code reactivees-projections} endpoint that lists projections and rebuilds one.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.spring.actuate;

import org.jspecify.annotations.NullMarked;
