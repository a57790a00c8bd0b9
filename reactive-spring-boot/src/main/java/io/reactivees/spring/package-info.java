/**
 * Spring Boot auto-configuration of the event store: {@link io.reactivees.spring.ReactiveesAutoConfiguration}
 * and its settings, {@link io.reactivees.spring.ReactiveesProperties} ({@code reactivees.*}).
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.spring;

import org.jspecify.annotations.NullMarked;
