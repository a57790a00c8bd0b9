/**
 * Test support: {@link io.reactivees.testing.AggregateFixture}, given/when/then tests for aggregates
 * on the in-memory store, and {@link io.reactivees.testing.DecisionFixture}, the same for decisions over
 * the dynamic consistency boundary. Put {@code reactive-inmemory} on the test classpath to use it.
 */
package io.reactivees.testing;
