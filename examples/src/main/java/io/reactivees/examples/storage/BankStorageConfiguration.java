package io.reactivees.examples.storage;

import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.EventStore;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.examples.BankProperties;
import io.reactivees.examples.bank.AccountChange;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.bank.InMemoryAccountSummaries;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.InMemoryIdempotencyRecords;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresTransactionalProjection;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The bank's own storage beside the event store, which the starter configures: PostgreSQL when it
 * made a {@link PostgresEventStore} (Boot's {@code ConnectionFactory}, from {@code spring.r2dbc.url}),
 * memory otherwise. Each bean asks which store the starter chose when it is created (bean conditions
 * in an application's own configuration would be evaluated before the auto-configurations).
 *
 * <ul>
 *   <li>the accounts read model: a table kept by a {@link PostgresTransactionalProjection} (each event
 *       applied exactly once, in the transaction that moves its checkpoint row) under the starter's
 *       projection lease, so that of several replicas one runs it at a time; in memory, a map kept
 *       by a {@link ProjectionRunner} over the starter's checkpoint store, rebuilt at every start;
 *   <li>the {@code Idempotency-Key} records: a table shared by the replicas, or a map.
 * </ul>
 *
 * The starter starts the read model's runner once the store is ready and stops it before the store
 * closes.
 */
@Configuration(proxyBeanMethods = false)
class BankStorageConfiguration {

    /** The bank's tables on PostgreSQL; none in memory. */
    @Bean
    BankTables bankTables(ObjectProvider<PostgresEventStore> postgres, ObjectProvider<ConnectionFactory> connections,
                          BankProperties properties) {
        PostgresEventStore store = postgres.getIfAvailable();
        if (store == null) {
            return new BankTables(null);
        }
        ConnectionFactory pool = connections.getObject();
        String schema = store.options().schema();
        return new BankTables(PostgresBankTables.of(new PostgresAccountSummaries(pool, schema),
                new PostgresIdempotencyRecords(pool, schema, properties.idempotency().timeToLive(),
                        properties.idempotency().inFlightTimeout())));
    }

    @Bean
    AccountSummaries accountSummaries(BankTables tables) {
        return tables.postgres() != null ? tables.postgres().readModel() : new InMemoryAccountSummaries();
    }

    @Bean
    IdempotencyRecords idempotencyRecords(BankTables tables, BankProperties properties) {
        return tables.postgres() != null ? tables.postgres().idempotency()
                : new InMemoryIdempotencyRecords(Clock.systemUTC(), properties.idempotency().timeToLive(),
                        properties.idempotency().inFlightTimeout());
    }

    /** The read model's runner; the starter runs every {@code ProjectionRunner} bean with the store. */
    @Bean
    ProjectionRunner accountSummariesRunner(BankTables tables, AccountSummaries summaries, EventStore store,
                                            ObjectProvider<PostgresEventStore> postgres, CheckpointStore checkpoints,
                                            ObjectProvider<ProjectionLease> lease, EventSerializer serializer) {
        if (tables.postgres() != null) {
            PostgresBankTables table = tables.postgres();
            ProjectionRunner.Builder builder = PostgresTransactionalProjection.runner(postgres.getObject(),
                    AccountSummaries.PROJECTION, AccountSummaries.QUERY,
                    (event, connection) -> table.apply(AccountChange.of(event, serializer), connection));
            lease.ifAvailable(builder::lease);
            return builder.build();
        }
        InMemoryAccountSummaries map = (InMemoryAccountSummaries) summaries;
        return ProjectionRunner.builder(store, checkpoints, Projection.of(AccountSummaries.PROJECTION, AccountSummaries.QUERY,
                event -> map.apply(AccountChange.of(event, serializer)))).build();
    }

    /**
     * Which storage the bank has besides the event store.
     *
     * @param postgres the bank's PostgreSQL tables, or null in memory
     */
    record BankTables(PostgresBankTables postgres) {}
}
