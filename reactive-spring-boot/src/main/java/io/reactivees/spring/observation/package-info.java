/**
 * Micrometer observations of the store, commands and projections
 * ({@link io.reactivees.spring.observation.ReactiveesObservation}), the meters {@code reactivees.*}, and
 * the trace context carried in event metadata.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.spring.observation;

import org.jspecify.annotations.NullMarked;
