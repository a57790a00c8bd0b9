/**
 * The example's WebFlux API: commands, queries, the server-sent event stream and the live page.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.examples.web;

import org.jspecify.annotations.NullMarked;
