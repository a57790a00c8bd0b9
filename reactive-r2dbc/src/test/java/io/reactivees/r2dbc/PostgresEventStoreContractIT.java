package io.reactivees.r2dbc;

import io.reactivees.core.EventStore;
import io.reactivees.core.contract.EventStoreContract;
import java.time.Duration;

/** Runs the whole store contract against {@link PostgresEventStore} on a real PostgreSQL. */
class PostgresEventStoreContractIT extends EventStoreContract {

    @Override
    protected EventStore createStore() {
        String schema = PostgresTestDatabase.newSchema();
        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder()
                        .schema(schema)
                        .pageSize(64)
                        .pollInterval(Duration.ofMillis(200))
                        .poolSize(0, 20)
                        .build())
                .build();
        store.migrate().block(TIMEOUT);
        return store;
    }

    @Override
    protected void disposeStore(EventStore store) {
        PostgresEventStore postgres = (PostgresEventStore) store;
        postgres.close().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(postgres.options().schema());
    }
}
