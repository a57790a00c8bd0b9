/**
 * Decisions over the dynamic consistency boundary: a
 * {@link io.reactivees.core.decision.DecisionModel} reads the events each
 * {@link io.reactivees.core.decision.DecisionProjection}'s query selects, folds them into states,
 * lets a decision turn the states into new events, and appends those under the condition that
 * nothing any projection would have read has been committed since, retrying on conflict.
 */
@NullMarked
package io.reactivees.core.decision;

import org.jspecify.annotations.NullMarked;
