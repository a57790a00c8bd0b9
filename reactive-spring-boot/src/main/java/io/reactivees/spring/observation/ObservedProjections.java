package io.reactivees.spring.observation;

import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.projection.Checkpoint;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.spring.observation.ReactiveesObservation.StoreKeys;
import java.util.Map;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * Observes a projection's handling of each event ({@link ReactiveesObservation#PROJECTION}), by
 * wrapping its {@link CheckpointedHandler}: the observation covers the handler and the checkpoint
 * save, and is a {@link ReceiverContext} whose carrier is the event's metadata, so that a tracer's
 * propagating handler continues the trace the append wrote there (see {@link ObservedEventStore}).
 * The starter wraps the handlers of the runners it builds for {@code Projection} beans; wrap your
 * own runner's handler with {@link #handler}:
 *
 * <pre>{@code
 * ProjectionRunner.builder(store, "balances", query, ObservedProjections.handler(handler, observationRegistry))
 * }</pre>
 */
public final class ObservedProjections {

    private ObservedProjections() {}

    /**
     * @param handler the handler to observe
     * @param registry where the observations go
     * @return a handler that applies, loads, skips and resets as {@code handler} does, observing each apply
     * @throws NullPointerException if an argument is null
     */
    public static CheckpointedHandler handler(CheckpointedHandler handler, ObservationRegistry registry) {
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(registry, "registry must not be null");
        return new CheckpointedHandler() {
            @Override
            public Mono<Checkpoint> load(String projection) {
                return handler.load(projection);
            }

            @Override
            public Mono<Checkpoint> apply(String projection, RecordedEvent event, Checkpoint expected) {
                return Observed.mono(() -> observation(registry, projection, event),
                        observation -> handler.apply(projection, event, expected));
            }

            @Override
            public Mono<Checkpoint> skipTo(String projection, Position position, Checkpoint expected) {
                return handler.skipTo(projection, position, expected);
            }

            @Override
            public Mono<Void> reset(String projection) {
                return handler.reset(projection);
            }

            @Override
            public boolean fenced() {
                return handler.fenced();
            }

            @Override
            public String toString() {
                return "Observed[" + handler + "]";
            }
        };
    }

    private static Observation observation(ObservationRegistry registry, String projection, RecordedEvent event) {
        ReceiverContext<Map<String, String>> context = new ReceiverContext<>((carrier, key) -> carrier.get(key));
        context.setCarrier(registry.isNoop() ? Map.of() : TraceMetadata.fieldsOf(event));
        context.setRemoteServiceName("reactivees");
        Observation observation = ReactiveesObservation.PROJECTION.observation(registry, () -> context);
        Observed.key(observation, StoreKeys.PROJECTION, projection);
        Observed.key(observation, StoreKeys.CATEGORY, event.streamId().category());
        Observed.key(observation, StoreKeys.EVENT_TYPE, event.type());
        return observation;
    }
}
