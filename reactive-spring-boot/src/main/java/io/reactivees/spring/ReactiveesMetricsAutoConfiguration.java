package io.reactivees.spring;

import io.micrometer.core.instrument.MeterRegistry;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.spring.observation.ReactiveesMeters;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import reactor.core.scheduler.Schedulers;

/**
 * The store's and projections' gauges ({@link ReactiveesMeters}: projection lag and running, feed
 * lag, live subscriptions and fallbacks), when the application has a {@link MeterRegistry}.
 */
@AutoConfiguration(
        after = ReactiveesAutoConfiguration.class,
        afterName = {
                "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
                "org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration"})
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({MeterRegistry.class, ProjectionRunners.class, EventStoreLifecycle.class})
public final class ReactiveesMetricsAutoConfiguration {

    /** Stopped (its refresh disposed) when the context closes. */
    @Bean(destroyMethod = "dispose")
    @ConditionalOnMissingBean
    ReactiveesMeters reactiveesMeters(MeterRegistry meters, ProjectionRunners runners, EventStoreLifecycle lifecycle,
                                      ObjectProvider<PostgresEventStore> postgres, ReactiveesProperties properties) {
        return ReactiveesMeters.start(meters, runners.all(), postgres.getIfUnique(), lifecycle.ready(),
                properties.metrics().lagInterval(), properties.health().timeout(), Schedulers.parallel());
    }
}
