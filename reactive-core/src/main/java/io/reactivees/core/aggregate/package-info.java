/**
 * Aggregates in the decide/evolve style: {@link io.reactivees.core.aggregate.AggregateType},
 * {@link io.reactivees.core.aggregate.Command} and the
 * {@link io.reactivees.core.aggregate.AggregateRepository} that runs commands with optimistic
 * concurrency and bounded retries; {@link io.reactivees.core.aggregate.MultiCommand}s over several
 * aggregates in one commit run by its sibling
 * {@link io.reactivees.core.aggregate.MultiAggregateRepository}; and idempotent commands, whose
 * {@link io.reactivees.core.aggregate.CommandMetadata#commandId() command id} derives their event ids
 * ({@link io.reactivees.core.aggregate.CommandIds}).
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core.aggregate;

import org.jspecify.annotations.NullMarked;
