package io.reactivees.spring.actuate;

import io.reactivees.spring.ProjectionRunners;
import java.time.Duration;
import java.util.Objects;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import reactor.core.publisher.Mono;

/**
 * The projections' health ({@code reactiveesProjections}), in the readiness group: {@code DOWN} when a
 * runner has failed (its handler's own error stopped it: it needs a fix or a restart), else
 * {@code UP}, with each projection's state, lag and whether it holds its lease as details. A runner
 * backing off while the database is away, or waiting for a lease another replica holds, is
 * {@code UP}: that is what runners are built to ride out.
 */
public final class ProjectionsHealthIndicator implements ReactiveHealthIndicator {

    private final ProjectionRunners runners;
    private final Duration timeout;

    /**
     * @param runners the application's runners
     * @param timeout how long counting one projection's lag may take (past it, the lag is left out)
     * @throws NullPointerException if an argument is null
     */
    public ProjectionsHealthIndicator(ProjectionRunners runners, Duration timeout) {
        this.runners = Objects.requireNonNull(runners, "runners must not be null");
        this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
    }

    /**
     * @return a cold {@code Mono} of the projections' health; it never fails
     */
    @Override
    public Mono<Health> health() {
        return ProjectionDescription.ofAll(runners.all(), timeout)
                .map(descriptions -> {
                    Health.Builder health = descriptions.stream().anyMatch(ProjectionDescription::failed) ? Health.down() : Health.up();
                    descriptions.forEach(description -> health.withDetail(description.name(), description.details()));
                    return health.build();
                });
    }
}
