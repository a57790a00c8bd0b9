package io.reactivees.spring.actuate;

import io.reactivees.spring.EventStoreLifecycle;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The event store's health ({@code reactiveesStore}), in the readiness group: {@code OUT_OF_SERVICE}
 * while the store is being prepared (on PostgreSQL, while the schema is migrated, or the database is
 * away at start), {@code DOWN} when its probe fails or times out (the database is unreachable, or
 * the schema is not migrated) or the preparation failed for good, else {@code UP}. On PostgreSQL the
 * probe reads the live feed's status: its lag ({@code feed.eventsBehind}) is a detail, never a
 * reason for {@code DOWN}: the horizon is cluster-wide, so a long transaction in another database
 * stalls it while this store is perfectly usable.
 */
public final class EventStoreHealthIndicator implements ReactiveHealthIndicator {

    private final String description;
    private final EventStoreLifecycle lifecycle;
    private final Mono<Map<String, Object>> probe;
    private final Duration timeout;

    /**
     * @param description the store, as a detail
     * @param lifecycle tells whether the store is prepared
     * @param probe reads the store (its details, empty map for none); fails when it cannot
     * @param timeout how long the probe may take
     * @throws NullPointerException if an argument is null
     */
    public EventStoreHealthIndicator(String description, EventStoreLifecycle lifecycle, Mono<Map<String, Object>> probe,
                                     Duration timeout) {
        this.description = Objects.requireNonNull(description, "description must not be null");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle must not be null");
        this.probe = Objects.requireNonNull(probe, "probe must not be null");
        this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
    }

    /**
     * @return a cold {@code Mono} of the store's health; it never fails
     */
    @Override
    public Mono<Health> health() {
        return Mono.defer(() -> {
            if (lifecycle.preparationFailed()) {
                return Mono.just(Health.down().withDetail("store", description).withDetail("preparation", "failed")
                        .withException(lifecycle.preparationError().orElse(null)).build());
            }
            if (!lifecycle.isReady()) {
                Health.Builder preparing = Health.outOfService().withDetail("store", description).withDetail("preparation", "running");
                lifecycle.preparationError().ifPresent(error -> preparing.withDetail("lastError", String.valueOf(error)));
                return Mono.just(preparing.build());
            }
            return probe.timeout(timeout)
                    .map(details -> Health.up().withDetail("store", description).withDetails(details).build())
                    .onErrorResume(error -> Mono.just(Health.down().withDetail("store", description).withException(error).build()));
        });
    }
}
