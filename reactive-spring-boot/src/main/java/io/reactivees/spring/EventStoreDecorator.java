package io.reactivees.spring;

import io.reactivees.core.EventStore;

/**
 * Wraps the auto-configured {@link EventStore} bean (the one the application injects), for
 * cross-cutting concerns: the starter declares one that observes the store with Micrometer when an
 * {@code ObservationRegistry} is present. Every bean of this type is applied, in order, to the
 * store the starter builds; a store the application declares itself is never wrapped.
 */
@FunctionalInterface
public interface EventStoreDecorator {

    /**
     * @param store the store so far
     * @return the store wrapped, or {@code store} itself
     */
    EventStore decorate(EventStore store);
}
