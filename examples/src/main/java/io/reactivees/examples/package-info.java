/**
 * The example bank application on the Spring Boot starter: its entry point and configuration.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.examples;

import org.jspecify.annotations.NullMarked;
