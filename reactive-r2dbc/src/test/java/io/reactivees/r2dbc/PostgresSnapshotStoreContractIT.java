package io.reactivees.r2dbc;

import io.reactivees.core.contract.SnapshotStoreContract;
import io.reactivees.core.snapshot.SnapshotStore;

/** Runs the whole snapshot store contract against {@link PostgresSnapshotStore}, in a schema per test. */
class PostgresSnapshotStoreContractIT extends SnapshotStoreContract {

    private PostgresEventStore events;

    @Override
    protected SnapshotStore createStore() {
        events = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(PostgresTestDatabase.newSchema()).poolSize(0, 16).build())
                .build();
        events.migrate().block(TIMEOUT);
        return PostgresSnapshotStore.of(events);
    }

    @Override
    protected void disposeStore(SnapshotStore store) {
        events.close().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(events.options().schema());
    }
}
