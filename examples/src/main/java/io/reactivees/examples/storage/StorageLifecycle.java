package io.reactivees.examples.storage;

import io.reactivees.core.projection.ProjectionRunner;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * Starts and stops the storage with the application, without blocking a thread: at start it
 * prepares the storage (for PostgreSQL, migrates the schema, retrying with backoff while the
 * database is away) and then starts the read model's projection; at stop it stops the projection
 * and closes the storage, and tells Spring when that is done.
 *
 * <p>Its phase puts it before the web server at start and after it at stop.
 */
final class StorageLifecycle implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(StorageLifecycle.class);

    /** Below the web server's phases: started before it, stopped after it. */
    static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 10_000;

    private final String description;
    private final Mono<Void> prepare;
    private final ProjectionRunner projection;
    private final Mono<Void> close;

    private volatile boolean running;
    private volatile Disposable starting;

    /**
     * @param description the storage, for log lines
     * @param prepare makes the storage ready; may fail and is then tried again
     * @param projection the read model's runner, started once prepared
     * @param close releases the storage
     */
    StorageLifecycle(String description, Mono<Void> prepare, ProjectionRunner projection, Mono<Void> close) {
        this.description = Objects.requireNonNull(description, "description must not be null");
        this.prepare = Objects.requireNonNull(prepare, "prepare must not be null");
        this.projection = Objects.requireNonNull(projection, "projection must not be null");
        this.close = Objects.requireNonNull(close, "close must not be null");
    }

    @Override
    public void start() {
        running = true;
        LOG.info("Storage: {}", description);
        starting = prepare
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofSeconds(1))
                        .maxBackoff(Duration.ofSeconds(30))
                        .doBeforeRetry(signal -> LOG.warn("Could not prepare the storage (attempt {}); trying again: {}",
                                signal.totalRetries() + 1, signal.failure().toString())))
                .subscribe(null,
                        error -> LOG.error("Could not prepare the storage", error),
                        () -> {
                            projection.start();
                            LOG.info("Storage ready; projection '{}' started", projection.name());
                        });
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        Disposable startingNow = starting;
        if (startingNow != null) {
            startingNow.dispose();
        }
        projection.stop()
                .then(close)
                .doFinally(signal -> callback.run())
                .subscribe(null, error -> LOG.warn("Could not close the storage cleanly", error));
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
