/**
 * Spring Boot auto-configuration of the event store: {@link io.reactivees.spring.ReactiveesAutoConfiguration}
 * and its settings, {@link io.reactivees.spring.ReactiveesProperties} ({@code reactivees.*}).
 */
package io.reactivees.spring;
