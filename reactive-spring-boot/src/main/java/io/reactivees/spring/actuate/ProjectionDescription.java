package io.reactivees.spring.actuate;

import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.RunnerState;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What a projection's runner is doing, as the health indicator and the {@code reactiveesprojections}
 * endpoint report it.
 *
 * @param name the projection's name
 * @param state {@code running}, {@code waiting-for-lease}, {@code backing-off}, {@code stopped} or {@code failed}
 * @param leaseHeld whether it runs now: with a lease, this replica holds it
 * @param lag the matching events after its checkpoint, or null when it could not be counted in time
 * @param lastProcessed the position of the last event this runner applied, or null
 * @param error the error it backs off from or failed with, or null
 */
public record ProjectionDescription(String name, String state, boolean leaseHeld, Long lag, String lastProcessed,
                                    String error) {

    /** @throws NullPointerException if {@code name} or {@code state} is null */
    public ProjectionDescription {
        Objects.requireNonNull(name, "name must not be null");
        Objects.requireNonNull(state, "state must not be null");
    }

    /**
     * Describes a runner now, counting its lag.
     *
     * @param runner the runner
     * @param timeout how long counting the lag may take; past it, or when it fails, the lag is null
     * @return a cold {@code Mono} of the description; it never fails
     */
    public static Mono<ProjectionDescription> of(ProjectionRunner runner, Duration timeout) {
        return runner.lag()
                .timeout(timeout)
                .map(lag -> describe(runner, lag))
                .onErrorResume(e -> Mono.just(describe(runner, null)))
                .defaultIfEmpty(describe(runner, null));
    }

    /**
     * Describes every runner, one after the other.
     *
     * @param runners the runners
     * @param timeout how long counting one lag may take
     * @return a cold {@code Mono} of the descriptions, in the runners' order; it never fails
     */
    public static Mono<List<ProjectionDescription>> ofAll(Collection<ProjectionRunner> runners, Duration timeout) {
        return Flux.fromIterable(runners).concatMap(runner -> of(runner, timeout)).collectList();
    }

    private static ProjectionDescription describe(ProjectionRunner runner, Long lag) {
        RunnerState state = runner.state();
        String error = state instanceof RunnerState.Failed failed ? String.valueOf(failed.error())
                : state instanceof RunnerState.BackingOff backingOff ? String.valueOf(backingOff.lastError())
                : null;
        return new ProjectionDescription(runner.name(), nameOf(state), state instanceof RunnerState.Running, lag,
                runner.lastProcessed().map(Object::toString).orElse(null), error);
    }

    /** @return the state's name in these descriptions */
    static String nameOf(RunnerState state) {
        if (state instanceof RunnerState.Running) {
            return "running";
        }
        if (state instanceof RunnerState.WaitingForLease) {
            return "waiting-for-lease";
        }
        if (state instanceof RunnerState.BackingOff) {
            return "backing-off";
        }
        return state instanceof RunnerState.Failed ? "failed" : "stopped";
    }

    /** @return whether the runner had failed (a handler's own error stopped it) */
    public boolean failed() {
        return "failed".equals(state);
    }

    /** @return the non-null parts, for a health report's details */
    Map<String, Object> details() {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("state", state);
        details.put("leaseHeld", leaseHeld);
        if (lag != null) {
            details.put("lag", lag);
        }
        if (lastProcessed != null) {
            details.put("lastProcessed", lastProcessed);
        }
        if (error != null) {
            details.put("error", error);
        }
        return details;
    }
}
