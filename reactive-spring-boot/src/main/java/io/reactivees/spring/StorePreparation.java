package io.reactivees.spring;

import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * What makes the PostgreSQL store ready, shared by the {@link io.reactivees.core.EventStore} bean (whose operations wait
 * for it) and the {@link EventStoreLifecycle} (which runs it at start, retrying).
 *
 * @param description the store, for log lines
 * @param prepared completes once the store is ready; it runs the migration until one succeeds, then
 *     completes at once for every later subscriber
 */
record StorePreparation(String description, Mono<Void> prepared) {

    StorePreparation {
        Objects.requireNonNull(description, "description must not be null");
        Objects.requireNonNull(prepared, "prepared must not be null");
    }

    /**
     * @param description the store
     * @param preparation the work, such as a migration; run again after each failure
     * @return the preparation, cached once it succeeds
     */
    static StorePreparation of(String description, Mono<Void> preparation) {
        Mono<Void> cached = preparation.thenReturn(Boolean.TRUE)
                // keep success forever, forget a failure
                .cache(done -> Duration.ofMillis(Long.MAX_VALUE), error -> Duration.ZERO, () -> Duration.ZERO)
                .then();
        return new StorePreparation(description, cached);
    }
}
