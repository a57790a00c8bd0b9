package io.reactivees.r2dbc;

import io.reactivees.core.contract.CheckpointStoreContract;
import io.reactivees.core.projection.CheckpointStore;
import java.time.Duration;

/** Runs the checkpoint contract against {@link PostgresCheckpointStore}. */
class PostgresCheckpointStoreContractIT extends CheckpointStoreContract {

    private PostgresEventStore events;

    @Override
    protected CheckpointStore createStore() {
        events = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(PostgresTestDatabase.newSchema()).poolSize(0, 8).build())
                .build();
        events.migrate().block(Duration.ofSeconds(30));
        return PostgresCheckpointStore.of(events);
    }

    @Override
    protected void disposeStore(CheckpointStore store) {
        events.close().block(Duration.ofSeconds(30));
        PostgresTestDatabase.dropSchema(events.options().schema());
    }
}
