package io.reactivees.spring;

import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.projection.PartitionedProjection;
import io.reactivees.core.projection.ProjectionRunner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.util.retry.Retry;

/**
 * Starts and stops the event store with the application, without blocking a thread. At start it
 * prepares the store (on PostgreSQL, migrates the schema unless
 * {@code reactivees.schema-initialization=never}), retrying with exponential backoff while the
 * database is away ({@link StoreUnavailableException}; any other failure, such as a schema newer
 * than this library, is logged and not retried), and then starts the projection runners. At stop it stops the runners (each
 * finishes the event it is applying and saves its checkpoint), then closes the store, and only
 * then tells Spring it is done.
 *
 * <p>Its phase ({@link #PHASE}) is below the web server's lifecycles (serving, and graceful
 * shutdown), so it starts before the server and stops after it: requests and SSE streams have ended
 * before the projections stop and the store closes.
 */
public final class EventStoreLifecycle implements SmartLifecycle {

    private static final Log LOG = LogFactory.getLog(EventStoreLifecycle.class);

    /** The phase: started before the web server, stopped after it. */
    public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 10_000;

    private final String description;
    private final Mono<Void> prepare;
    private final ProjectionRunners runners;
    private final Mono<Void> close;
    private final ReactiveesProperties.Startup startup;
    private final Sinks.One<Void> ready = Sinks.one();

    private volatile boolean running;
    private volatile Disposable starting;
    private volatile boolean prepared;
    private volatile Throwable preparationError;
    private volatile boolean givenUp;

    /**
     * @param description the store, for log lines
     * @param prepare makes the store ready; may fail, and is then tried again
     * @param runners started once prepared, stopped before the store closes
     * @param close releases the store
     * @param startup the backoff between preparation attempts
     */
    EventStoreLifecycle(String description, Mono<Void> prepare, ProjectionRunners runners, Mono<Void> close,
                        ReactiveesProperties.Startup startup) {
        this.description = Objects.requireNonNull(description, "description must not be null");
        this.prepare = Objects.requireNonNull(prepare, "prepare must not be null");
        this.runners = Objects.requireNonNull(runners, "runners must not be null");
        this.close = Objects.requireNonNull(close, "close must not be null");
        this.startup = Objects.requireNonNull(startup, "startup must not be null");
    }

    /**
     * @return a {@code Mono} that completes once the store is prepared and the projection runners
     *     are started (at once when that has happened already); it never fails, and does not
     *     complete while the preparation is being retried or after a stop that came first
     */
    public Mono<Void> ready() {
        return ready.asMono();
    }

    /**
     * @return whether the store is prepared (on PostgreSQL, its schema migrated) and the projection
     *     runners are started; false while the preparation runs or is retried, and after it failed
     *     for good
     */
    public boolean isReady() {
        return prepared;
    }

    /**
     * @return the error of the last preparation attempt while the store is not ready (the database
     *     is away, or a schema newer than this library), empty once ready or before the first failure
     */
    public Optional<Throwable> preparationError() {
        return prepared ? Optional.empty() : Optional.ofNullable(preparationError);
    }

    /**
     * @return whether the preparation failed with an error a retry cannot cure (a schema newer than
     *     this library, a missing privilege) and will not be tried again until the application restarts
     */
    public boolean preparationFailed() {
        return givenUp;
    }

    @Override
    public void start() {
        running = true;
        LOG.info("Event store: " + description);
        starting = prepare
                .retryWhen(Retry.backoff(Long.MAX_VALUE, startup.minBackoff())
                        .maxBackoff(startup.maxBackoff())
                        // a database that is away may come back; a schema newer than this library or a
                        // missing privilege will not (StoreConfigurationException: its message says what to do)
                        .filter(StoreUnavailableException.class::isInstance)
                        .doBeforeRetry(signal -> preparationError = signal.failure())
                        .doBeforeRetry(signal -> LOG.warn("Could not prepare the event store (attempt "
                                + (signal.totalRetries() + 1) + "); trying again: " + signal.failure())))
                .subscribe(null,
                        error -> {
                            preparationError = error;
                            givenUp = true;
                            LOG.error("Could not prepare the event store, and will not try again until the"
                                    + " application restarts; store operations fail meanwhile", error);
                        },
                        () -> {
                            runners.standalone().forEach(ProjectionRunner::start);
                            runners.partitioned().forEach(PartitionedProjection::start);
                            prepared = true;
                            LOG.info("Event store ready; projections started: " + runners.standalone().stream()
                                    .map(ProjectionRunner::name).toList() + ", partitioned: " + runners.partitioned().stream()
                                    .map(PartitionedProjection::name).toList());
                            ready.tryEmitEmpty();
                        });
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        Disposable startingNow = starting;
        if (startingNow != null) {
            startingNow.dispose();
        }
        List<Mono<Void>> stops = new ArrayList<>();
        runners.standalone().forEach(runner -> stops.add(stopping(runner.name(), runner.stop())));
        runners.partitioned().forEach(projection -> stops.add(stopping(projection.name(), projection.stop())));
        Mono.when(stops)
                .then(close)
                .timeout(Duration.ofMinutes(1))
                .doFinally(signal -> callback.run())
                .subscribe(null, error -> LOG.warn("Could not close the event store cleanly", error));
    }

    /** {@code stop}, with a failure logged rather than passed on: one projection's failure must not keep the store open. */
    private static Mono<Void> stopping(String projection, Mono<Void> stop) {
        return stop.onErrorResume(e -> {
            LOG.warn("Could not stop projection " + projection + " cleanly", e);
            return Mono.empty();
        });
    }

    @Override
    public void stop() {
        stop(() -> { });
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
