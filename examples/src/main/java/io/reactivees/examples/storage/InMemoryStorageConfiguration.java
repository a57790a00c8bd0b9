package io.reactivees.examples.storage;

import io.reactivees.core.EventStore;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.examples.BankProperties;
import io.reactivees.examples.bank.AccountChange;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.bank.InMemoryAccountSummaries;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.InMemoryIdempotencyRecords;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import java.time.Clock;
import io.reactivees.inmemory.InMemoryEventStore;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

/**
 * The bank in memory, when no R2DBC URL is given: an {@link InMemoryEventStore}, the read model in a
 * map, and its checkpoint in an {@link InMemoryCheckpointStore}. Everything is gone when the
 * application stops; the projection starts from the first event every time, as the read model does.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(StorageSelection.OnInMemory.class)
class InMemoryStorageConfiguration {

    @Bean
    EventStore eventStore() {
        return InMemoryEventStore.create();
    }

    @Bean
    IdempotencyRecords idempotencyRecords(BankProperties properties) {
        return new InMemoryIdempotencyRecords(Clock.systemUTC(), properties.idempotency().timeToLive(),
                properties.idempotency().inFlightTimeout());
    }

    @Bean
    InMemoryAccountSummaries accountSummaries() {
        return new InMemoryAccountSummaries();
    }

    @Bean
    StorageLifecycle storageLifecycle(EventStore store, EventSerializer serializer, InMemoryAccountSummaries summaries) {
        Projection projection = Projection.of(AccountSummaries.PROJECTION, AccountSummaries.QUERY,
                event -> summaries.apply(AccountChange.of(event, serializer)));
        ProjectionRunner runner = ProjectionRunner.builder(store, new InMemoryCheckpointStore(), projection).build();
        return new StorageLifecycle("in memory (set reactivees.r2dbc.url or REACTIVEES_R2DBC_URL for PostgreSQL)",
                Mono.empty(), runner, Mono.empty());
    }
}
