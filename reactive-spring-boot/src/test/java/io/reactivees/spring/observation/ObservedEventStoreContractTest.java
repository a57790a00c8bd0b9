package io.reactivees.spring.observation;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.reactivees.core.EventStore;
import io.reactivees.core.contract.EventStoreContract;
import io.reactivees.inmemory.InMemoryEventStore;

/** The observed store keeps the whole store contract: it changes no outcome, order, backpressure or cancellation. */
class ObservedEventStoreContractTest extends EventStoreContract {

    @Override
    protected EventStore createStore() {
        return ObservedEventStore.of(InMemoryEventStore.builder().pageSize(64).build(), TestObservationRegistry.create(),
                new SimpleMeterRegistry());
    }
}
