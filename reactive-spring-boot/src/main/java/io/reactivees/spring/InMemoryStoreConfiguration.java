package io.reactivees.spring;

import io.reactivees.core.EventStore;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;

/**
 * The stores in memory, when the application has no {@code ConnectionFactory} bean: everything is
 * gone when it stops, and projections start from the first event every time. For tests and
 * prototypes.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnMissingBean(type = "io.r2dbc.spi.ConnectionFactory")
class InMemoryStoreConfiguration {

    @Bean
    @ConditionalOnMissingBean(EventStore.class)
    InMemoryEventStore inMemoryEventStore() {
        return InMemoryEventStore.create();
    }

    /**
     * With an {@link EventStoreDecorator} (Micrometer's observation, when present), the store the
     * application injects as {@link EventStore}: the in-memory store behind the decorators.
     */
    @Bean
    @Primary
    @ConditionalOnBean(EventStoreDecorator.class)
    @ConditionalOnMissingBean(value = EventStore.class, ignored = InMemoryEventStore.class)
    EventStore reactiveesEventStore(InMemoryEventStore store, ObjectProvider<EventStoreDecorator> decorators) {
        return ReactiveesAutoConfiguration.decorated(store, decorators);
    }

    @Bean
    @ConditionalOnMissingBean
    SnapshotStore reactiveesSnapshotStore() {
        return InMemorySnapshotStore.create();
    }

    @Bean
    @ConditionalOnMissingBean
    CheckpointStore reactiveesCheckpointStore() {
        return new InMemoryCheckpointStore();
    }
}
