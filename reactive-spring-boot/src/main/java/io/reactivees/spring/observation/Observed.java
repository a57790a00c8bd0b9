package io.reactivees.spring.observation;

import io.micrometer.common.docs.KeyName;
import io.micrometer.observation.Observation;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.aggregate.AggregateAlreadyExistsException;
import io.reactivees.core.aggregate.CommandIdReusedException;
import io.reactivees.spring.observation.ReactiveesObservation.Outcome;
import io.reactivees.spring.observation.ReactiveesObservation.StoreKeys;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs a {@code Mono} or {@code Flux} under an observation, the way every observed part of the
 * starter does: the observation is created and started when the publisher is subscribed to (with
 * the subscriber's current observation, from the Reactor context, as its parent), is the current
 * observation of everything upstream (so r2dbc-proxy's query observations become its children),
 * and stops once, at the first of completion, error or cancellation, with its {@link Outcome}.
 */
final class Observed {

    /**
     * Where Micrometer keeps the current observation in a Reactor context: the value of
     * {@code ObservationThreadLocalAccessor.KEY}, as Reactor's own {@code Micrometer.observation}
     * and r2dbc-proxy read it (spelled out so that context-propagation need not be on the classpath).
     */
    static final String OBSERVATION_KEY = "micrometer.observation";

    private Observed() {}

    /**
     * @param create makes the observation, not started
     * @param body the work, given the started observation (e.g. to read trace context it injected)
     * @return a cold {@code Mono} that emits what {@code body}'s emits
     */
    static <T> Mono<T> mono(Supplier<Observation> create, Function<Observation, Mono<T>> body) {
        return Mono.deferContextual(view -> {
            Observation observation = start(create.get(), view.getOrDefault(OBSERVATION_KEY, null));
            Stop stop = new Stop(observation);
            Mono<T> source;
            try {
                source = body.apply(observation);
            } catch (RuntimeException e) {
                stop.error(e);
                return Mono.error(e);
            }
            return source
                    .doOnSuccess(value -> stop.ok())
                    .doOnError(stop::error)
                    .doOnCancel(stop::ok)
                    .contextWrite(context -> context.put(OBSERVATION_KEY, observation));
        });
    }

    /**
     * @param create makes the observation, not started
     * @param body the work
     * @return a cold {@code Flux} that emits what {@code body}'s emits
     */
    static <T> Flux<T> flux(Supplier<Observation> create, Function<Observation, Flux<T>> body) {
        return Flux.deferContextual(view -> {
            Observation observation = start(create.get(), view.getOrDefault(OBSERVATION_KEY, null));
            Stop stop = new Stop(observation);
            Flux<T> source;
            try {
                source = body.apply(observation);
            } catch (RuntimeException e) {
                stop.error(e);
                return Flux.error(e);
            }
            return source
                    .doOnComplete(stop::ok)
                    .doOnError(stop::error)
                    .doOnCancel(stop::ok)
                    .contextWrite(context -> context.put(OBSERVATION_KEY, observation));
        });
    }

    /** @return what kind of failure {@code error} is, as a meter and span key */
    static Outcome outcomeOf(Throwable error) {
        if (isConflict(error) || error instanceof AggregateAlreadyExistsException) {
            return Outcome.CONFLICT;
        }
        if (error instanceof DuplicateEventException || error instanceof CommandIdReusedException) {
            return Outcome.DUPLICATE;
        }
        return Outcome.ERROR;
    }

    /** Whether an append failed its check: an expected version or an append condition. */
    static boolean isConflict(Throwable error) {
        return error instanceof ConcurrencyConflictException || error instanceof AppendConditionFailedException;
    }

    /** Sets a low-cardinality key. */
    static void key(Observation observation, KeyName key, String value) {
        observation.lowCardinalityKeyValue(key.withValue(value));
    }

    private static Observation start(Observation observation, Object parent) {
        if (parent instanceof Observation parentObservation && observation.getContext().getParentObservation() == null) {
            observation.parentObservation(parentObservation);
        }
        return observation.start();
    }

    /** Stops an observation once, whichever signal comes first. */
    private static final class Stop {
        private final Observation observation;
        private final AtomicBoolean stopped = new AtomicBoolean();

        Stop(Observation observation) {
            this.observation = observation;
        }

        void ok() {
            if (stopped.compareAndSet(false, true)) {
                key(observation, StoreKeys.OUTCOME, Outcome.OK.value());
                observation.stop();
            }
        }

        void error(Throwable error) {
            if (stopped.compareAndSet(false, true)) {
                key(observation, StoreKeys.OUTCOME, outcomeOf(error).value());
                observation.error(error);
                observation.stop();
            }
        }
    }
}
