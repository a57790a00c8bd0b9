package io.reactivees.examples.storage;

import io.reactivees.core.PreparedEventStore;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.EventStore;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.examples.BankProperties;
import io.reactivees.examples.bank.AccountChange;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.StoredAnswer;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import io.reactivees.r2dbc.PostgresProjectionLease;
import io.reactivees.r2dbc.PostgresTransactionalProjection;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

/**
 * The bank on PostgreSQL, when an R2DBC URL is given: a {@link PostgresEventStore} in the configured
 * schema, migrated at start, and the read model in a table beside it, kept by a transactional
 * projection (its checkpoint is a {@link io.reactivees.r2dbc.PostgresCheckpointStore} row written in
 * the same transaction) under a {@link PostgresProjectionLease}, so that of several replicas one
 * runs it at a time.
 */
@Configuration(proxyBeanMethods = false)
@Conditional(StorageSelection.OnPostgres.class)
class PostgresStorageConfiguration {

    @Bean(destroyMethod = "") // closed by the StorageLifecycle, without blocking
    PostgresStorage postgresStorage(BankProperties properties) {
        return PostgresStorage.open(properties);
    }

    @Bean
    EventStore eventStore(PostgresStorage storage) {
        return storage.events();
    }

    @Bean
    IdempotencyRecords idempotencyRecords(PostgresStorage storage) {
        return storage.idempotency();
    }

    @Bean
    AccountSummaries accountSummaries(PostgresStorage storage) {
        return storage.readModel();
    }

    @Bean
    StorageLifecycle storageLifecycle(PostgresStorage storage, EventSerializer serializer) {
        ProjectionRunner runner = PostgresTransactionalProjection.runner(storage.store(), AccountSummaries.PROJECTION,
                        AccountSummaries.QUERY,
                        (event, connection) -> storage.summaries().apply(AccountChange.of(event, serializer), connection))
                .lease(PostgresProjectionLease.of(storage.store(), Duration.ofSeconds(1)))
                .build();
        return new StorageLifecycle("PostgreSQL, schema " + storage.store().options().schema(),
                storage.prepared(), runner, storage.close());
    }

    /**
     * The PostgreSQL parts: one connection pool shared by the event store and the read model.
     *
     * @param pool the pool
     * @param store the event store on it
     * @param summaries the read model on it
     * @param records the idempotency records on it
     * @param prepared migrates the store's schema and creates the read model's and the idempotency
     *     records' tables; cached until it succeeds
     */
    record PostgresStorage(ConnectionPool pool, PostgresEventStore store, PostgresAccountSummaries summaries,
                           PostgresIdempotencyRecords records, Mono<Void> prepared) {

        static PostgresStorage open(BankProperties bank) {
            BankProperties.R2dbc properties = bank.r2dbc();
            // the store's factory for a URL: binary results (faster reads) unless the URL says otherwise
            ConnectionFactory factory = PostgresEventStore.connectionFactory(properties.url());
            ConnectionPool pool = factory instanceof ConnectionPool given ? given
                    : new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                            .name("reactivees-bank")
                            .initialSize(0)
                            .maxSize(properties.poolSize())
                            // idle connections may all have died together (a database restart);
                            // each is found dead only when handed out, so try past all of them
                            .acquireRetry(properties.poolSize())
                            .maxAcquireTime(Duration.ofSeconds(30))
                            .build());
            PostgresEventStore store = PostgresEventStore.builder(pool)
                    .options(PostgresEventStoreOptions.builder().schema(properties.schema()).build())
                    .build();
            PostgresAccountSummaries summaries = new PostgresAccountSummaries(pool, store.options().schema());
            PostgresIdempotencyRecords records = new PostgresIdempotencyRecords(pool, store.options().schema(),
                    bank.idempotency().timeToLive(), bank.idempotency().inFlightTimeout());
            Mono<Void> prepared = store.migrate().then(summaries.migrate()).then(records.migrate()).thenReturn(true)
                    // keep success forever, retry after a failure
                    .cache(done -> Duration.ofMillis(Long.MAX_VALUE), error -> Duration.ZERO, () -> Duration.ZERO)
                    .then();
            return new PostgresStorage(pool, store, summaries, records, prepared);
        }

        /** @return the idempotency records, waiting for the preparation before each operation */
        IdempotencyRecords idempotency() {
            return new IdempotencyRecords() {
                @Override
                public Mono<Claim> claim(String key, String fingerprint) {
                    return prepared.then(records.claim(key, fingerprint));
                }

                @Override
                public Mono<Void> complete(String key, String fingerprint, StoredAnswer answer) {
                    return prepared.then(records.complete(key, fingerprint, answer));
                }

                @Override
                public Mono<Void> release(String key, String fingerprint) {
                    return prepared.then(records.release(key, fingerprint));
                }

                @Override
                public Mono<Long> purgeExpired() {
                    return prepared.then(records.purgeExpired());
                }
            };
        }

        /** @return the event store, waiting for the preparation before each operation */
        EventStore events() {
            return PreparedEventStore.of(store, prepared);
        }

        /** @return the read model, waiting for the preparation before each read */
        AccountSummaries readModel() {
            return () -> prepared.thenMany(summaries.findAll());
        }

        /** @return a {@code Mono} that closes the store, then the pool */
        Mono<Void> close() {
            return store.close().then(pool.disposeLater());
        }
    }
}
