package io.reactivees.inmemory;

import io.reactivees.core.EventStore;
import io.reactivees.core.contract.EventStoreContract;

/** Runs the whole store contract against {@link InMemoryEventStore}. */
class InMemoryEventStoreContractTest extends EventStoreContract {

    @Override
    protected EventStore createStore() {
        return InMemoryEventStore.builder().pageSize(64).build();
    }
}
