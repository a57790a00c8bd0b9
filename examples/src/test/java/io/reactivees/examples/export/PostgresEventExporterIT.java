package io.reactivees.examples.export;

import io.reactivees.core.EventStore;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.r2dbc.PostgresCheckpointStore;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import io.reactivees.r2dbc.PostgresTestDatabase;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

/**
 * The exporter on PostgreSQL: the store's subscription (pages, then the live tail) and a
 * {@link PostgresCheckpointStore}, each test on a schema of its own.
 */
class PostgresEventExporterIT extends EventExporterContract {

    private final List<String> schemas = new ArrayList<>();
    private final List<PostgresEventStore> stores = new ArrayList<>();

    @Override
    protected EventStore store() {
        String schema = PostgresTestDatabase.newSchema();
        schemas.add(schema);
        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).build())
                .build();
        stores.add(store);
        store.migrate().block(TIMEOUT);
        return store;
    }

    /** The checkpoints beside the last store made. */
    @Override
    protected CheckpointStore checkpoints() {
        return PostgresCheckpointStore.of(stores.get(stores.size() - 1));
    }

    @AfterEach
    void closeStoresAndDropSchemas() {
        stores.forEach(store -> store.close().block(TIMEOUT));
        schemas.forEach(PostgresTestDatabase::dropSchema);
    }
}
