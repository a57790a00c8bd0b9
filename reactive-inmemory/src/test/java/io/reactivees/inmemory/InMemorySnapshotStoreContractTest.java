package io.reactivees.inmemory;

import io.reactivees.core.contract.SnapshotStoreContract;
import io.reactivees.core.snapshot.SnapshotStore;

/** Runs the whole snapshot store contract against {@link InMemorySnapshotStore}. */
class InMemorySnapshotStoreContractTest extends SnapshotStoreContract {

    @Override
    protected SnapshotStore createStore() {
        return InMemorySnapshotStore.create();
    }
}
