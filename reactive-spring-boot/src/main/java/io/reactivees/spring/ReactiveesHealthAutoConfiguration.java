package io.reactivees.spring;

import io.reactivees.core.EventStore;
import io.reactivees.core.StreamId;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.r2dbc.FeedStatus;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.spring.actuate.EventStoreHealthIndicator;
import io.reactivees.spring.actuate.ProjectionsEndpoint;
import io.reactivees.spring.actuate.ProjectionsHealthIndicator;
import io.reactivees.spring.actuate.ReadinessGroup;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import reactor.core.publisher.Mono;

/**
 * Actuator for the event store, with {@code spring-boot-health} (Actuator) on the classpath:
 *
 * <ul>
 *   <li>health indicators {@code reactiveesStore} ({@link EventStoreHealthIndicator}) and
 *       {@code reactiveesProjections} ({@link ProjectionsHealthIndicator}), off with
 *       {@code management.health.reactivees.enabled=false};
 *   <li>both in the {@code readiness} group and never in {@code liveness} ({@link ReadinessGroup}),
 *       unless the application sets {@code management.endpoint.health.group.readiness.include}
 *       itself;
 *   <li>the {@code reactiveesprojections} endpoint ({@link ProjectionsEndpoint}), when available
 *       (exposed) by the usual {@code management.endpoints.*} settings.
 * </ul>
 */
@AutoConfiguration(
        after = ReactiveesAutoConfiguration.class,
        afterName = "org.springframework.boot.health.autoconfigure.actuate.endpoint.AvailabilityProbesAutoConfiguration")
@ConditionalOnClass(ReactiveHealthIndicator.class)
@ConditionalOnBean({ProjectionRunners.class, EventStoreLifecycle.class})
public final class ReactiveesHealthAutoConfiguration {

    /** The health contributors' names: their bean names without the {@code HealthIndicator} suffix. */
    static final Set<String> CONTRIBUTORS = Set.of("reactiveesStore", "reactiveesProjections");

    /** The stream whose version a health probe reads: it need not exist. */
    private static final StreamId HEALTH_STREAM = StreamId.of("reactivees", "health");

    /**
     * The store's health: on PostgreSQL its probe reads the live feed's status while the feed runs
     * (reachable, migrated, feed lag as details), else a stream's version; on another store it reads
     * a stream's version.
     */
    @Bean
    @ConditionalOnEnabledHealthIndicator("reactivees")
    @ConditionalOnMissingBean(name = "reactiveesStoreHealthIndicator")
    EventStoreHealthIndicator reactiveesStoreHealthIndicator(EventStoreLifecycle lifecycle, ObjectProvider<PostgresEventStore> postgres,
                                                             ObjectProvider<EventStore> store,
                                                             ObjectProvider<InMemoryEventStore> inMemory, ReactiveesProperties properties) {
        PostgresEventStore postgresStore = postgres.getIfUnique();
        if (postgresStore != null) {
            // The feed's status counts the events it has not delivered: cheap while it runs (a few), but
            // the whole log while no live subscription has started it; then a stream look-up proves
            // the store reachable and migrated instead.
            Mono<Map<String, Object>> probe = Mono.defer(() -> postgresStore.liveSubscriptions() > 0
                    ? postgresStore.feedStatus().map(ReactiveesHealthAutoConfiguration::feedDetails)
                    : postgresStore.streamVersion(HEALTH_STREAM).then(Mono.just(Map.<String, Object>of("feed", Map.of("running", false)))));
            return new EventStoreHealthIndicator("PostgreSQL, schema " + postgresStore.options().schema(), lifecycle, probe,
                    properties.health().timeout());
        }
        EventStore eventStore = ReactiveesAutoConfiguration.undecoratedStore(store, postgres, inMemory);
        Mono<Map<String, Object>> probe = eventStore == null ? Mono.just(Map.of())
                : eventStore.streamVersion(HEALTH_STREAM).then(Mono.just(Map.of()));
        String description = eventStore instanceof InMemoryEventStore ? "in memory" : String.valueOf(eventStore);
        return new EventStoreHealthIndicator(description, lifecycle, probe, properties.health().timeout());
    }

    private static Map<String, Object> feedDetails(FeedStatus status) {
        Map<String, Object> feed = new LinkedHashMap<>();
        feed.put("running", status.running());
        feed.put("eventsBehind", status.eventsBehind());
        feed.put("deliveredThrough", status.deliveredThrough().toString());
        if (status.lastAdvancedAt() != null) {
            feed.put("lastAdvancedAt", status.lastAdvancedAt().toString());
        }
        return Map.of("feed", feed);
    }

    @Bean
    @ConditionalOnEnabledHealthIndicator("reactivees")
    @ConditionalOnMissingBean(name = "reactiveesProjectionsHealthIndicator")
    ProjectionsHealthIndicator reactiveesProjectionsHealthIndicator(ProjectionRunners runners, ReactiveesProperties properties) {
        return new ProjectionsHealthIndicator(runners, properties.health().timeout());
    }

    /** Puts the indicators into the readiness group, unless the application lists its members itself. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthEndpointGroupsPostProcessor.class)
    static class ReadinessConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ReadinessGroup reactiveesReadinessGroup(Environment environment) {
            boolean configured = environment.containsProperty("management.endpoint.health.group.readiness.include");
            boolean enabled = environment.getProperty("management.health.reactivees.enabled", Boolean.class,
                    environment.getProperty("management.health.defaults.enabled", Boolean.class, true));
            boolean probes = environment.getProperty("management.endpoint.health.probes.enabled", Boolean.class, true);
            return new ReadinessGroup(configured || !enabled ? Set.of() : CONTRIBUTORS, probes);
        }
    }

    /** The {@code reactiveesprojections} endpoint. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({Endpoint.class, ConditionalOnAvailableEndpoint.class})
    @ConditionalOnAvailableEndpoint(ProjectionsEndpoint.class)
    static class EndpointConfiguration {

        @Bean
        @ConditionalOnMissingBean
        ProjectionsEndpoint reactiveesProjectionsEndpoint(ProjectionRunners runners, ReactiveesProperties properties) {
            return new ProjectionsEndpoint(runners, properties.health().timeout());
        }
    }
}
