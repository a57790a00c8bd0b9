package io.reactivees.core.projection;

import io.reactivees.core.EventStore;
import io.reactivees.core.Position;
import io.reactivees.core.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Runs a {@link Projection}: resumes after its checkpoint, applies every matching event in the
 * global order, one at a time, and saves the checkpoint after each (so an event is applied at least
 * once, and after a crash at most the last one again). It follows the store live until stopped.
 *
 * <p>When the store becomes unavailable the runner waits (exponential backoff) and resumes from its
 * checkpoint, for as long as it takes. An error of the handler stops the runner; {@link #failure()}
 * tells it, and {@link #start()} resumes after the last checkpoint.
 *
 * <p>With a {@link ProjectionLease} ({@link Builder#lease}), only the replica holding the lease
 * runs the projection; the others wait and take over when it stops or dies.
 *
 * <p>Thread-safe. {@link #start()} and {@link #stop()} may be called any number of times.
 */
public final class ProjectionRunner {

    private static final System.Logger LOG = System.getLogger(ProjectionRunner.class.getName());

    private final EventStore store;
    private final CheckpointStore checkpoints;
    private final Projection projection;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Scheduler scheduler;
    private final ProjectionLease lease;

    private Disposable running; // guarded by this
    /** The event being applied, with its checkpoint; null between events. */
    private final AtomicReference<CompletableFuture<Position>> applying = new AtomicReference<>();
    private volatile Position lastProcessed;
    private volatile Throwable failure;

    private ProjectionRunner(Builder builder) {
        this.store = builder.store;
        this.checkpoints = builder.checkpoints;
        this.projection = builder.projection;
        this.minBackoff = builder.minBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.scheduler = builder.scheduler;
        this.lease = builder.lease;
    }

    /**
     * @param store where the events are
     * @param checkpoints where the projection's position is kept
     * @param projection what to run
     * @return a builder
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(EventStore store, CheckpointStore checkpoints, Projection projection) {
        return new Builder(store, checkpoints, projection);
    }

    /** @return the projection this runner runs */
    public Projection projection() {
        return projection;
    }

    /** Starts following the store from the checkpoint; does nothing when already running. */
    public synchronized void start() {
        if (isRunning()) {
            return;
        }
        failure = null;
        running = run().subscribe(
                position -> lastProcessed = position,
                error -> {
                    failure = error;
                    LOG.log(Level.ERROR, "projection " + projection.name() + " stopped", error);
                });
    }

    /**
     * Stops following the store. An event being applied is not cut off: its handler and checkpoint
     * save run to their end, and no further event is applied. A restart (or another runner) then
     * resumes after it, never applying it a second time because a stale save landed late.
     *
     * @return a {@code Mono} that completes once stopped: after the event being applied, if any,
     *     has been applied and its checkpoint saved (or has failed)
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            CompletableFuture<Position> pending;
            synchronized (this) {
                pending = applying.get(); // before the dispose, which ends the run's hold on it
                if (running != null) {
                    running.dispose();
                    running = null;
                }
            }
            return pending == null ? Mono.<Void>empty() : Mono.fromFuture(pending, true).then().onErrorResume(e -> Mono.empty());
        });
    }

    /**
     * Rebuilds the read model from the first event: stops, forgets the checkpoint, runs
     * {@code resetReadModel} (which should empty the read model), and starts again.
     *
     * @param resetReadModel empties the read model
     * @return a {@code Mono} that completes once the runner has started again; it fails with the
     *     checkpoint store's or the reset's error, and the runner then stays stopped
     * @throws NullPointerException if {@code resetReadModel} is null
     */
    public Mono<Void> rebuild(Mono<Void> resetReadModel) {
        Objects.requireNonNull(resetReadModel, "resetReadModel must not be null");
        return stop()
                .then(checkpoints.delete(projection.name()))
                .then(resetReadModel)
                .then(Mono.fromRunnable(() -> {
                    lastProcessed = null;
                    start();
                }));
    }

    /** @return whether the runner is following the store */
    public synchronized boolean isRunning() {
        return running != null && !running.isDisposed();
    }

    /** @return the position of the last event this runner applied since it was built */
    public Optional<Position> lastProcessed() {
        return Optional.ofNullable(lastProcessed);
    }

    /** @return the handler error that stopped the runner, if it stopped that way */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Counts the matching events committed after the saved checkpoint: how far the read model is
     * behind. It reads those events, so its cost grows with the lag.
     *
     * @return a cold {@code Mono} of the count; it fails with the stores' errors
     */
    public Mono<Long> lag() {
        return checkpoints.load(projection.name()).defaultIfEmpty(Position.START)
                .flatMap(from -> store.load(projection.query().after(from)).count());
    }

    private Flux<Position> run() {
        Flux<Position> run = lease == null ? follow() : Flux.usingWhen(
                        lease.acquire(projection.name()),
                        held -> follow().takeUntilOther(held.lost()),
                        ProjectionLease.Held::release)
                // Lost the lease: wait to hold it again.
                .repeat();
        return run.retryWhen(Retry.backoff(Long.MAX_VALUE, minBackoff)
                .maxBackoff(maxBackoff)
                .scheduler(scheduler)
                .filter(StoreUnavailableException.class::isInstance)
                .doBeforeRetry(signal -> LOG.log(Level.WARNING, "projection " + projection.name()
                        + " lost the store; resuming from its checkpoint", signal.failure())));
    }

    private Flux<Position> follow() {
        return Mono.defer(() -> checkpoints.load(projection.name()).defaultIfEmpty(Position.START))
                .flatMapMany(from -> store.subscribe(projection.query().after(from)))
                // each event is applied as work of its own, which a stop does not cancel (see stop)
                .concatMap(event -> {
                    CompletableFuture<Position> applied = projection.handler().apply(event)
                            .then(checkpoints.save(projection.name(), event.position()))
                            .thenReturn(event.position())
                            .toFuture();
                    applying.set(applied);
                    return Mono.fromFuture(applied, true).doFinally(signal -> applying.compareAndSet(applied, null));
                });
    }

    /** Builds a {@link ProjectionRunner}. */
    public static final class Builder {
        private final EventStore store;
        private final CheckpointStore checkpoints;
        private final Projection projection;
        private Duration minBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private Scheduler scheduler = Schedulers.parallel();
        private ProjectionLease lease;

        private Builder(EventStore store, CheckpointStore checkpoints, Projection projection) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.checkpoints = Objects.requireNonNull(checkpoints, "checkpoints must not be null");
            this.projection = Objects.requireNonNull(projection, "projection must not be null");
        }

        /**
         * @param min the first pause after losing the store
         * @param max the longest pause
         * @return this builder
         * @throws NullPointerException if an argument is null
         * @throws IllegalArgumentException if not {@code 0 < min <= max}
         */
        public Builder backoff(Duration min, Duration max) {
            Objects.requireNonNull(min, "min must not be null");
            Objects.requireNonNull(max, "max must not be null");
            if (min.isNegative() || min.isZero() || max.compareTo(min) < 0) {
                throw new IllegalArgumentException("backoff must satisfy 0 < min <= max: " + min + ", " + max);
            }
            this.minBackoff = min;
            this.maxBackoff = max;
            return this;
        }

        /**
         * @param scheduler where backoff pauses run; {@link Schedulers#parallel()} otherwise
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Makes the runner hold {@code lease} while it runs, so that of several replicas only one
         * runs the projection at a time; without one, every started runner runs.
         *
         * @param lease the lease
         * @return this builder
         * @throws NullPointerException if {@code lease} is null
         */
        public Builder lease(ProjectionLease lease) {
            this.lease = Objects.requireNonNull(lease, "lease must not be null");
            return this;
        }

        /** @return the runner, not started */
        public ProjectionRunner build() {
            return new ProjectionRunner(this);
        }
    }
}
