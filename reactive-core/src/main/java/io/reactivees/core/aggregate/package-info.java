/**
 * Aggregates in the decide/evolve style: {@link io.reactivees.core.aggregate.AggregateType},
 * {@link io.reactivees.core.aggregate.Command} and the
 * {@link io.reactivees.core.aggregate.AggregateRepository} that runs commands with optimistic
 * concurrency and bounded retries.
 */
package io.reactivees.core.aggregate;
