package io.reactivees.inmemory;

import io.reactivees.core.contract.CheckpointStoreContract;
import io.reactivees.core.projection.CheckpointStore;

/** Runs the checkpoint contract against {@link InMemoryCheckpointStore}. */
class InMemoryCheckpointStoreContractTest extends CheckpointStoreContract {

    @Override
    protected CheckpointStore createStore() {
        return new InMemoryCheckpointStore();
    }
}
