/**
 * The example's domain: accounts as aggregates, their commands and events, and the balances read model.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.examples.bank;

import org.jspecify.annotations.NullMarked;
