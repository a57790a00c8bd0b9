package io.reactivees.spring.observation;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.reactivees.core.aggregate.CommandObserver;
import io.reactivees.spring.observation.ReactiveesObservation.StoreKeys;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Observes aggregate commands ({@link ReactiveesObservation#COMMAND}: one observation per command,
 * its retries included) and, with a {@link MeterRegistry}, counts the conflicts it retries
 * ({@code reactivees.command.retries}, by category and operation). Give it to a repository:
 * {@code AggregateRepository.builder(store, serializer, type).observer(commandObserver)}; the
 * starter declares one as a {@link CommandObserver} bean.
 */
public final class ObservedCommands implements CommandObserver {

    private final ObservationRegistry registry;
    private final MeterRegistry meters; // null: no meters

    private ObservedCommands(ObservationRegistry registry, MeterRegistry meters) {
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        this.meters = meters;
    }

    /**
     * @param registry where the observations go
     * @param meters where the retry counter goes, or null for none
     * @return the observer
     * @throws NullPointerException if {@code registry} is null
     */
    public static ObservedCommands of(ObservationRegistry registry, MeterRegistry meters) {
        return new ObservedCommands(registry, meters);
    }

    @Override
    public <R> Mono<R> observe(String category, String operation, Mono<R> run) {
        Objects.requireNonNull(run, "run must not be null");
        return Observed.mono(() -> {
            Observation observation = ReactiveesObservation.COMMAND.observation(registry);
            Observed.key(observation, StoreKeys.CATEGORY, category);
            Observed.key(observation, StoreKeys.OPERATION, operation);
            return observation;
        }, observation -> run);
    }

    @Override
    public void retrying(String category, String operation, Throwable conflict) {
        if (meters != null) {
            Counter.builder("reactivees.command.retries")
                    .description("Aggregate commands run again after a conflict")
                    .tag("category", category)
                    .tag("operation", operation)
                    .register(meters)
                    .increment();
        }
    }
}
