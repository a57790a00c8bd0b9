package io.reactivees.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.reactivees.core.aggregate.CommandObserver;
import io.reactivees.spring.observation.ObservedCommands;
import io.reactivees.spring.observation.ObservedEventStore;
import io.reactivees.spring.observation.ObservedProjections;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Micrometer observations of the event store, when the application has an
 * {@link ObservationRegistry} (Spring Boot's, with {@code spring-boot-starter-actuator}): an
 * {@link EventStoreDecorator} that puts an {@link ObservedEventStore} in front of the
 * auto-configured store, and a {@link CommandObserver} for aggregate repositories
 * ({@code AggregateRepository.builder(...).observer(commandObserver)}). Projection handlers are
 * observed by {@link ReactiveesAutoConfiguration}'s runners. With a {@code MeterRegistry} too, the
 * conflict and retry counters and the subscription gauge are registered there.
 */
@AutoConfiguration(
        afterName = {
                "org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"},
        before = ReactiveesAutoConfiguration.class)
@ConditionalOnClass(ObservationRegistry.class)
@ConditionalOnBean(ObservationRegistry.class)
public final class ReactiveesObservationAutoConfiguration {

    /** Observes the auto-configured {@code EventStore} bean (never one the application declares). */
    @Bean
    @ConditionalOnMissingBean(name = "reactiveesObservedEventStore")
    EventStoreDecorator reactiveesObservedEventStore(ObservationRegistry registry, ObjectProvider<MeterRegistry> meters) {
        MeterRegistry meterRegistry = meterRegistry(meters);
        return store -> meterRegistry == null ? ObservedEventStore.of(store, registry) : ObservedEventStore.of(store, registry, meterRegistry);
    }

    /** Observes the handling of each event by the runners of {@code Projection} beans. */
    @Bean
    @ConditionalOnMissingBean(name = "reactiveesObservedProjections")
    ProjectionHandlerDecorator reactiveesObservedProjections(ObservationRegistry registry) {
        return handler -> ObservedProjections.handler(handler, registry);
    }

    /** For the application's aggregate repositories. */
    @Bean
    @ConditionalOnMissingBean
    CommandObserver reactiveesCommandObserver(ObservationRegistry registry, ObjectProvider<MeterRegistry> meters) {
        return ObservedCommands.of(registry, meterRegistry(meters));
    }

    private static MeterRegistry meterRegistry(ObjectProvider<MeterRegistry> meters) {
        try {
            return meters.getIfUnique();
        } catch (NoClassDefFoundError e) { // micrometer-observation without micrometer-core
            return null;
        }
    }
}
