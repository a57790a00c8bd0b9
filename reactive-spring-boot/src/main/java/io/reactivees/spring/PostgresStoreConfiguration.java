package io.reactivees.spring;

import io.reactivees.core.PreparedEventStore;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.EventStore;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.r2dbc.PostgresCheckpointStore;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresProjectionLease;
import io.reactivees.r2dbc.PostgresSnapshotStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnSingleCandidate;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import reactor.core.publisher.Mono;

/**
 * The stores on PostgreSQL, when the application has a {@link ConnectionFactory} bean (Boot's, from
 * {@code spring.r2dbc.*}, or its own).
 *
 * <p>Connections: the store takes its short-lived connections (reads, snapshots, checkpoints) from
 * the pool behind the factory, and opens its long-lived ones (one per write lane, one
 * {@code LISTEN}, one per held projection lease) from the pool's underlying factory, beside the
 * pool. When the factory is not a pool at all, the store pools it itself
 * ({@code reactivees.pool.*}).
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnClass({ConnectionFactory.class, PostgresEventStore.class})
@ConditionalOnBean(ConnectionFactory.class)
class PostgresStoreConfiguration {

    /** Closed by the {@link EventStoreLifecycle}, without blocking, after the projections stop. */
    @Bean(destroyMethod = "")
    @ConditionalOnMissingBean(EventStore.class)
    @ConditionalOnSingleCandidate(ConnectionFactory.class)
    PostgresEventStore postgresEventStore(ConnectionFactory connectionFactory, ReactiveesProperties properties) {
        return PostgresEventStore.builder(ConnectionPools.forStore(connectionFactory))
                .options(properties.toOptions())
                .build();
    }

    @Bean
    @ConditionalOnSingleCandidate(PostgresEventStore.class)
    @ConditionalOnMissingBean
    StorePreparation reactiveesStorePreparation(PostgresEventStore store, ReactiveesProperties properties) {
        String schema = store.options().schema();
        return switch (properties.schemaInitialization()) {
            case ALWAYS -> StorePreparation.of("PostgreSQL, schema " + schema + " (migrated at start)", store.migrate());
            case NEVER -> StorePreparation.of("PostgreSQL, schema " + schema + " (reactivees.schema-initialization=never)",
                    Mono.empty());
        };
    }

    /**
     * The store the application injects as {@link EventStore}: the PostgreSQL store, whose
     * operations wait for the schema to be migrated, behind the {@link EventStoreDecorator} beans
     * (Micrometer's observation, when present).
     */
    @Bean
    @Primary
    @ConditionalOnBean(StorePreparation.class)
    @ConditionalOnMissingBean(value = EventStore.class, ignored = PostgresEventStore.class)
    EventStore reactiveesEventStore(PostgresEventStore store, StorePreparation preparation,
                                    ObjectProvider<EventStoreDecorator> decorators) {
        return ReactiveesAutoConfiguration.decorated(PreparedEventStore.of(store, preparation.prepared()), decorators);
    }

    @Bean
    @ConditionalOnSingleCandidate(PostgresEventStore.class)
    @ConditionalOnMissingBean
    SnapshotStore reactiveesSnapshotStore(PostgresEventStore store) {
        return PostgresSnapshotStore.of(store);
    }

    @Bean
    @ConditionalOnSingleCandidate(PostgresEventStore.class)
    @ConditionalOnMissingBean
    CheckpointStore reactiveesCheckpointStore(PostgresEventStore store) {
        return PostgresCheckpointStore.of(store);
    }

    @Bean
    @ConditionalOnSingleCandidate(PostgresEventStore.class)
    @ConditionalOnMissingBean
    @ConditionalOnProperty(name = "reactivees.projections.lease", havingValue = "true", matchIfMissing = true)
    ProjectionLease reactiveesProjectionLease(PostgresEventStore store, ReactiveesProperties properties) {
        return PostgresProjectionLease.of(store, properties.projections().leaseRetryInterval());
    }

    @Bean
    @ConditionalOnBean(StorePreparation.class)
    @ConditionalOnMissingBean
    EventStoreLifecycle reactiveesEventStoreLifecycle(PostgresEventStore store, StorePreparation preparation,
                                                      ProjectionRunners runners, ReactiveesProperties properties) {
        return new EventStoreLifecycle(preparation.description(), preparation.prepared(), runners, store.close(),
                properties.startup());
    }
}
