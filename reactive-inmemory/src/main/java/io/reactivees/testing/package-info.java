/**
 * Test support: {@link io.reactivees.testing.AggregateFixture}, given/when/then tests for aggregates
 * on the in-memory store, and {@link io.reactivees.testing.DecisionFixture}, the same for decisions over
 * the dynamic consistency boundary. Put {@code reactive-inmemory} on the test classpath to use it.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.testing;

import org.jspecify.annotations.NullMarked;
