package io.reactivees.spring;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.core.projection.PartitionedProjection;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.core.serialization.Upcaster;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.r2dbc.PostgresEventStore;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurationPackages;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.r2dbc.autoconfigure.ConnectionFactoryOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Auto-configuration of the event store. After Spring Boot's R2DBC auto-configuration (and Flyway's
 * and Liquibase's, so a schema they migrate exists first):
 *
 * <ul>
 *   <li>with a {@code ConnectionFactory} bean, a {@link io.reactivees.r2dbc.PostgresEventStore} over
 *       its pool (found by unwrapping; never a second pool over Boot's), with snapshot and checkpoint
 *       stores and a projection lease in the same schema, and binary results asked for through
 *       Boot's options customizer; see {@link PostgresStoreConfiguration};
 *   <li>without one, the in-memory stores; see {@link InMemoryStoreConfiguration};
 *   <li>either way, an {@link EventSerializer} over the {@code @EventType} classes of the
 *       application's packages, the {@link ProjectionRunners} of the {@link Projection} and
 *       {@link ProjectionRunner} beans, and the {@link EventStoreLifecycle} that prepares the store,
 *       runs the projections and closes the store with the application.
 * </ul>
 *
 * Every bean backs off when the application declares its own of the same type.
 */
@AutoConfiguration(afterName = {
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration",
        "org.springframework.boot.flyway.autoconfigure.FlywayAutoConfiguration",
        "org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration"})
@EnableConfigurationProperties(ReactiveesProperties.class)
@Import({PostgresStoreConfiguration.class, InMemoryStoreConfiguration.class})
public final class ReactiveesAutoConfiguration {

    /**
     * The application's event classes: the {@code @EventType} classes in
     * {@code reactivees.event-packages}, or else in the application's packages (those of its
     * {@code @SpringBootApplication}).
     */
    @Bean
    @ConditionalOnMissingBean
    EventTypeRegistry reactiveesEventTypeRegistry(ReactiveesProperties properties, BeanFactory beanFactory,
                                                  ResourceLoader resourceLoader, Environment environment) {
        List<String> packages = !properties.eventPackages().isEmpty() ? properties.eventPackages()
                : AutoConfigurationPackages.has(beanFactory) ? AutoConfigurationPackages.get(beanFactory)
                : List.of();
        return EventTypeScanner.scan(packages, resourceLoader, environment);
    }

    /**
     * Events are stored as JSON by a mapper of their own, with Jackson's defaults, so that
     * configuring how the HTTP API reads or writes JSON can never change what is stored. The
     * application's {@link Upcaster} beans rewrite old stored types.
     */
    /** The retry of aggregate commands, from {@code reactivees.commands.retry.*}, for the application's repositories. */
    @Bean
    @ConditionalOnMissingBean
    RetryPolicy reactiveesRetryPolicy(ReactiveesProperties properties) {
        return properties.commands().retry().toPolicy();
    }

    /** When aggregates take snapshots, from {@code reactivees.snapshots.every-events}, for the application's repositories. */
    @Bean
    @ConditionalOnMissingBean
    SnapshotPolicy reactiveesSnapshotPolicy(ReactiveesProperties properties) {
        return properties.snapshots().toPolicy();
    }

    @Bean
    @ConditionalOnMissingBean
    EventSerializer reactiveesEventSerializer(EventTypeRegistry registry, ObjectProvider<Upcaster> upcasters) {
        return new JacksonEventSerializer(JsonMapper.builder().build(), registry, upcasters.orderedStream().toList());
    }

    /**
     * A runner for each {@link Projection} bean, each {@link ProjectionRunner} bean, and the segments'
     * runners of each {@link PartitionedProjection} bean (built by the application, with its lease and
     * membership; the lifecycle starts and stops it as a whole). The runners
     * read the auto-configured store itself ({@code PostgresEventStore} or {@code InMemoryEventStore},
     * started after it is prepared), not the observed {@code EventStore} bean in front of it, so that
     * their subscriptions and lag counts make no spans of their own; each event's handling is observed
     * instead ({@link ProjectionHandlerDecorator}).
     */
    @Bean
    @ConditionalOnMissingBean
    ProjectionRunners reactiveesProjectionRunners(ObjectProvider<EventStore> store,
                                                  ObjectProvider<PostgresEventStore> postgresStore,
                                                  ObjectProvider<InMemoryEventStore> inMemoryStore,
                                                  ObjectProvider<CheckpointStore> checkpoints,
                                                  ObjectProvider<ProjectionLease> lease,
                                                  ObjectProvider<Projection> projections,
                                                  ObjectProvider<ProjectionRunner> declaredRunners,
                                                  ObjectProvider<PartitionedProjection> partitioned,
                                                  ObjectProvider<ProjectionHandlerDecorator> handlerDecorators,
                                                  ReactiveesProperties properties) {
        List<ProjectionRunner> runners = new ArrayList<>();
        projections.orderedStream().forEach(projection -> {
            EventStore events = undecoratedStore(store, postgresStore, inMemoryStore);
            CheckpointStore checkpointStore = checkpoints.getIfAvailable();
            if (events == null || checkpointStore == null) {
                throw new IllegalStateException("projection '" + projection.name() + "' needs one EventStore and one"
                        + " CheckpointStore bean to run; found " + (events == null ? "no EventStore" : "no CheckpointStore")
                        + ". Declare the missing bean, or a ProjectionRunner bean of your own");
            }
            CheckpointedHandler handler = CheckpointedHandler.atLeastOnce(checkpointStore, projection.handler());
            for (ProjectionHandlerDecorator decorator : handlerDecorators.orderedStream().toList()) {
                handler = decorator.decorate(handler);
            }
            ProjectionRunner.Builder builder = ProjectionRunner.builder(events, projection.name(), projection.query(), handler)
                    .backoff(properties.projections().minBackoff(), properties.projections().maxBackoff());
            ProjectionLease projectionLease = lease.getIfAvailable();
            if (projectionLease != null) {
                builder.lease(projectionLease);
            }
            runners.add(builder.build());
        });
        declaredRunners.orderedStream().forEach(runners::add);
        return new ProjectionRunners(runners, partitioned.orderedStream().toList());
    }

    /**
     * The store the runners and the health probe read: the auto-configured one itself when there is
     * one, else the application's.
     */
    static EventStore undecoratedStore(ObjectProvider<EventStore> store, ObjectProvider<PostgresEventStore> postgresStore,
                                          ObjectProvider<InMemoryEventStore> inMemoryStore) {
        PostgresEventStore postgres = postgresStore.getIfUnique();
        if (postgres != null) {
            return postgres;
        }
        InMemoryEventStore inMemory = inMemoryStore.getIfUnique();
        return inMemory != null ? inMemory : store.getIfAvailable();
    }

    /**
     * The {@code EventStore} bean the application injects: {@code store} behind every
     * {@link EventStoreDecorator} bean, in order.
     */
    static EventStore decorated(EventStore store, ObjectProvider<EventStoreDecorator> decorators) {
        EventStore decorated = store;
        for (EventStoreDecorator decorator : decorators.orderedStream().toList()) {
            decorated = decorator.decorate(decorated);
        }
        return decorated;
    }

    /** Without a store-specific lifecycle (the in-memory store, or an application's own store). */
    @Bean
    @ConditionalOnMissingBean
    EventStoreLifecycle reactiveesEventStoreLifecycle(ObjectProvider<EventStore> store, ProjectionRunners runners,
                                                      ReactiveesProperties properties) {
        String description = store.getIfAvailable() == null ? "none" : String.valueOf(store.getIfAvailable());
        return new EventStoreLifecycle(description, Mono.empty(), runners, Mono.empty(), properties.startup());
    }

    /**
     * Asks PostgreSQL for binary results through Boot's own {@code ConnectionFactory} options, as the
     * store does for a URL; see {@link BinaryResultsCustomizer}.
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(ConnectionFactoryOptionsBuilderCustomizer.class)
    static class BinaryResultsConfiguration {

        @Bean
        @ConditionalOnMissingBean(name = "reactiveesBinaryResultsCustomizer")
        ConnectionFactoryOptionsBuilderCustomizer reactiveesBinaryResultsCustomizer() {
            return new BinaryResultsCustomizer();
        }
    }
}
