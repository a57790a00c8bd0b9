package io.reactivees.spring.actuate;

import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.spring.ProjectionRunners;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import reactor.core.publisher.Mono;

/**
 * The {@code reactiveesprojections} Actuator endpoint: {@code GET /actuator/reactiveesprojections}
 * lists the projections with their state and lag, {@code GET .../{name}} describes one, and
 * {@code POST .../{name}} rebuilds it ({@link ProjectionRunner#rebuild()}: its checkpoint is reset,
 * and with a transactional projection its read model, and it replays from the first event).
 * Expose it like any endpoint ({@code management.endpoints.web.exposure.include}); it is not
 * exposed over the web by default.
 */
@Endpoint(id = "reactiveesprojections")
public class ProjectionsEndpoint {

    private final ProjectionRunners runners;
    private final Duration timeout;

    /**
     * @param runners the application's runners
     * @param timeout how long counting one projection's lag may take
     * @throws NullPointerException if an argument is null
     */
    public ProjectionsEndpoint(ProjectionRunners runners, Duration timeout) {
        this.runners = Objects.requireNonNull(runners, "runners must not be null");
        this.timeout = Objects.requireNonNull(timeout, "timeout must not be null");
    }

    /** Every projection, in declaration order. */
    public record Projections(List<ProjectionDescription> projections) {
        /** @throws NullPointerException if the list is null */
        public Projections {
            projections = List.copyOf(projections);
        }
    }

    /**
     * @return a cold {@code Mono} of every projection's description
     */
    @ReadOperation
    public Mono<Projections> projections() {
        return ProjectionDescription.ofAll(runners.all(), timeout).map(Projections::new);
    }

    /**
     * @param name a projection's name
     * @return a cold {@code Mono} of its description; empty (404) when there is no such projection
     */
    @ReadOperation
    public Mono<ProjectionDescription> projection(@Selector String name) {
        return Mono.justOrEmpty(runners.get(name)).flatMap(runner -> ProjectionDescription.of(runner, timeout));
    }

    /**
     * Rebuilds a projection from the first event.
     *
     * @param name a projection's name
     * @return a cold {@code Mono} of its description once it has started again; it fails with the
     *     rebuild's error (a reset that failed leaves it stopped)
     * @throws InvalidEndpointRequestException (400) when there is no such projection
     */
    @WriteOperation
    public Mono<ProjectionDescription> rebuild(@Selector String name) {
        ProjectionRunner runner = runners.get(name).orElseThrow(() -> new InvalidEndpointRequestException(
                "no projection is named '" + name + "'; known: " + runners.all().stream().map(ProjectionRunner::name).toList(),
                "no such projection"));
        return runner.rebuild().then(ProjectionDescription.of(runner, timeout));
    }
}
