package io.reactivees.core.projection;

import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.RerunTransactionException;
import io.reactivees.core.StoreUnavailableException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Runs a projection: resumes after its checkpoint, applies every matching event in the global order,
 * one at a time, through a {@link CheckpointedHandler} (which also moves the checkpoint), and follows
 * the store live until stopped. With {@link #builder(EventStore, CheckpointStore, Projection)} an
 * event is applied at least once (after a crash, at most the last one again); a fenced handler such
 * as {@code PostgresTransactionalProjection}'s applies each exactly once.
 *
 * <p>Its {@link #state()} says what it does ({@link RunnerState}); {@link #states()} follows it.
 * Failures a retry may cure ({@link StoreUnavailableException}, {@link RerunTransactionException})
 * are retried for as long as it takes: the runner backs off (exponentially, on the builder's
 * scheduler, starting over after each applied event) and resumes from its checkpoint. A fenced
 * handler's {@link CheckpointMovedException} makes it reload the checkpoint and resume at once. Any
 * other error (the handler's own, a store that is not configured) stops it in
 * {@link RunnerState.Failed}; {@link #start()} resumes after the last checkpoint.
 *
 * <p>With a {@link ProjectionLease} ({@link Builder#lease}), only the replica holding the lease
 * runs the projection; the others wait in {@link RunnerState.WaitingForLease} and take over when it
 * stops or loses it.
 *
 * <p>Thread-safe. {@link #start()} and {@link #stop()} may be called any number of times.
 */
public final class ProjectionRunner {

    private static final System.Logger LOG = System.getLogger(ProjectionRunner.class.getName());

    private final EventStore store;
    private final String name;
    private final EventQuery query;
    private final CheckpointedHandler handler;
    private final Duration minBackoff;
    private final Duration maxBackoff;
    private final Scheduler scheduler;
    private final ProjectionLease lease;
    private final Segment segment;
    private final int checkpointAfterSkipping;

    private final Object lock = new Object();
    private Run current; // guarded by lock: the latest run, going or ended
    private RunnerState state = new RunnerState.Stopped(); // guarded by lock
    private final Sinks.Many<RunnerState> states = Sinks.many().replay().latest();
    private volatile Position lastProcessed;

    private ProjectionRunner(Builder builder) {
        this.store = builder.store;
        this.segment = builder.segment;
        this.name = builder.segment == null ? builder.name : builder.segment.name(builder.name);
        this.query = builder.query;
        this.handler = builder.handler;
        this.minBackoff = builder.minBackoff;
        this.maxBackoff = builder.maxBackoff;
        this.scheduler = builder.scheduler;
        this.lease = builder.lease;
        this.checkpointAfterSkipping = builder.checkpointAfterSkipping;
        states.tryEmitNext(state);
    }

    /**
     * Returns a builder of an at-least-once runner: {@code projection}'s handler applies each event,
     * then its position is saved in {@code checkpoints}.
     *
     * @param store where the events are
     * @param checkpoints where the projection's position is kept
     * @param projection what to run
     * @return a builder
     * @throws NullPointerException if an argument is null
     */
    public static Builder builder(EventStore store, CheckpointStore checkpoints, Projection projection) {
        Objects.requireNonNull(projection, "projection must not be null");
        return new Builder(store, projection.name(), projection.query(), CheckpointedHandler.atLeastOnce(checkpoints, projection.handler()));
    }

    /**
     * Returns a builder of a runner that applies events through {@code handler}.
     *
     * @param store where the events are
     * @param name the projection's stable name (its checkpoint and lease key)
     * @param query the events it reads; its {@code after} is ignored (the checkpoint decides)
     * @param handler applies events and keeps the checkpoint
     * @return a builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static Builder builder(EventStore store, String name, EventQuery query, CheckpointedHandler handler) {
        return new Builder(store, name, query, handler);
    }

    /** @return the projection's name; of a segment's runner, the segment's ({@link Segment#name(String)}) */
    public String name() {
        return name;
    }

    /** @return the segment this runner applies, when it runs one segment of a partitioned projection */
    public Optional<Segment> segment() {
        return Optional.ofNullable(segment);
    }

    /** Whether {@code event} is this runner's to apply: all of them, or those of its segment's streams. */
    private boolean mine(RecordedEvent event) {
        return segment == null || segment.contains(event.streamId());
    }

    /** @return the events the projection reads */
    public EventQuery query() {
        return query;
    }

    /**
     * Starts following the store from the checkpoint; does nothing while a run is going (waiting for
     * the lease, running or backing off). After a {@link #stop()} that has not completed yet, the new
     * run begins once the old one has ended.
     */
    public void start() {
        Run run;
        synchronized (lock) {
            if (current != null && !current.stopping && state.isActive()) {
                return;
            }
            run = new Run(current == null ? Mono.empty() : current.cleanup());
            current = run;
            publish(lease == null ? new RunnerState.Running() : new RunnerState.WaitingForLease());
        }
        run.subscription.update(run.previous.thenMany(attempts(run)).subscribe(
                checkpoint -> lastProcessed = checkpoint.position(),
                error -> run.cleanup().subscribe(null, null, () -> failed(run, error)),
                () -> run.cleanup().subscribe(null, null, () -> stopped(run))));
    }

    /**
     * Stops following the store. An event being applied is not cut off: its handler and checkpoint
     * save run to their end, and no further event is applied; then the lease, if held, is released.
     * A restart (or another runner) then resumes after it, never applying it a second time because a
     * stale save landed late.
     *
     * @return a cold {@code Mono} that completes once the run has ended: after the event being
     *     applied, if any, has been applied and its checkpoint saved (or has failed), and the lease
     *     is released. It never fails. A runner that failed stays {@link RunnerState.Failed}.
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            Run run;
            synchronized (lock) {
                run = current;
            }
            if (run == null) {
                return Mono.<Void>empty();
            }
            run.stop();
            return run.cleanup().then(Mono.fromRunnable(() -> stopped(run)));
        });
    }

    /**
     * Rebuilds the read model from the first event: stops, starts the projection over (see
     * {@link CheckpointedHandler#reset}: the checkpoint, and with a transactional projection the read
     * model, in one transaction), runs {@code resetReadModel}, and starts again. With a lease and a
     * handler that is not {@linkplain CheckpointedHandler#fenced() fenced}, the reset runs while this
     * replica holds the lease (it waits for it), so no other replica saves a stale checkpoint over it;
     * a fenced handler needs no lease: a runner of another replica fails its fence and starts over.
     *
     * @param resetReadModel empties the read model; {@code Mono.empty()} when the handler's reset does
     * @return a cold {@code Mono} that completes once the runner has started again; it fails with the
     *     handler's, the lease's or the reset's error, and the runner then stays stopped
     * @throws NullPointerException if {@code resetReadModel} is null
     */
    public Mono<Void> rebuild(Mono<Void> resetReadModel) {
        Objects.requireNonNull(resetReadModel, "resetReadModel must not be null");
        return stop()
                .then(Mono.defer(() -> {
                    Mono<Void> reset = handler.reset(name).then(resetReadModel);
                    return lease == null || handler.fenced()
                            ? reset
                            : Mono.usingWhen(lease.acquire(name), held -> reset,
                                    ProjectionLease.Held::release, (held, e) -> held.release(), ProjectionLease.Held::release);
                }))
                .then(Mono.fromRunnable(() -> {
                    lastProcessed = null;
                    start();
                }));
    }

    /**
     * {@link #rebuild(Mono)} with no reset of its own: for handlers whose {@link CheckpointedHandler#reset}
     * empties the read model.
     *
     * @return a cold {@code Mono} that completes once the runner has started again
     */
    public Mono<Void> rebuild() {
        return rebuild(Mono.empty());
    }

    /** @return what the runner is doing now */
    public RunnerState state() {
        synchronized (lock) {
            return state;
        }
    }

    /**
     * Follows the runner's state.
     *
     * @return a hot {@code Flux} that emits the current state at once to each subscriber, then every
     *     change; it never completes. Subscribers are called while the state changes, so they must
     *     not block.
     */
    public Flux<RunnerState> states() {
        return states.asFlux();
    }

    /** @return whether a run is going: waiting for the lease, running or backing off */
    public boolean isRunning() {
        return state().isActive();
    }

    /**
     * @return the position the runner's checkpoint last moved to since it was built (or rebuilt): its
     *     last applied event, or for a segment's runner also the last of a run of other segments'
     *     events it moved past
     */
    public Optional<Position> lastProcessed() {
        return Optional.ofNullable(lastProcessed);
    }

    /** @return the error that stopped the runner, while it is {@link RunnerState.Failed} */
    public Optional<Throwable> failure() {
        return state() instanceof RunnerState.Failed failed ? Optional.of(failed.error()) : Optional.empty();
    }

    /**
     * Counts the matching events after the saved checkpoint that the store's {@link EventStore#load}
     * returns: how far the read model is behind what the runner can read. It reads those events, so
     * its cost grows with the lag. A PostgreSQL store reads only below its read horizon: while an
     * older transaction is open anywhere in the cluster, events committed after it are not counted
     * (the runner cannot apply them yet either), so the lag reports what the runner has left to do,
     * not how far it is from the newest commit; {@code PostgresEventStore.feedStatus()} shows the
     * events held back.
     *
     * @return a cold {@code Mono} of the count; it fails with the stores' errors
     */
    public Mono<Long> lag() {
        return Mono.defer(() -> handler.load(name)).flatMap(from -> store.load(query.after(from.position())).filter(this::mine).count());
    }

    /**
     * Waits until the projection has applied the event at {@code position}: until its saved
     * checkpoint is at or after it (so that a request can answer once its read model is current,
     * e.g. after the {@link io.reactivees.core.AppendResult#position()} of its append). It looks at
     * what this runner applied and at the saved checkpoint (which another replica may be moving),
     * every minimum backoff interval on the builder's scheduler. A projection never reads past the
     * store's read horizon, so while an older transaction holds the horizon back, the wait times out.
     *
     * @param position the position to wait for
     * @param timeout how long to wait at most
     * @return a cold {@code Mono} that completes once the checkpoint is at or after {@code position}
     *     (at once when it already is); it fails with {@link ProjectionTimeoutException} when
     *     {@code timeout} passes first, and with the checkpoint's load errors
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Mono<Void> awaitApplied(Position position, Duration timeout) {
        Objects.requireNonNull(position, "position must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        Mono<Boolean> reached = Mono.defer(() -> {
            Position applied = lastProcessed;
            return applied != null && !position.isAfter(applied)
                    ? Mono.just(true)
                    : handler.load(name).map(checkpoint -> !position.isAfter(checkpoint.position()));
        });
        return Flux.interval(Duration.ZERO, minBackoff, scheduler)
                .onBackpressureDrop()
                .concatMap(tick -> reached, 1)
                .filter(Boolean::booleanValue)
                .next()
                .timeout(timeout, Mono.<Boolean>error(() -> new ProjectionTimeoutException(name, position, timeout)), scheduler)
                .then();
    }

    /** Tells whether a retry may cure {@code error}. */
    static boolean isTransient(Throwable error) {
        return error instanceof StoreUnavailableException || error instanceof RerunTransactionException;
    }

    private Flux<Checkpoint> attempts(Run run) {
        Flux<Checkpoint> attempt = lease == null ? follow(run) : Flux.defer(() -> {
            publish(run, new RunnerState.WaitingForLease());
            return Flux.usingWhen(
                    lease.acquire(name).map(held -> run.hold(held)),
                    held -> follow(run).takeUntilOther(held.lost()),
                    RunHeld::release,
                    (held, error) -> held.release(),
                    RunHeld::release);
        }).repeat(); // lost the lease: wait to hold it again
        return attempt.retryWhen(Retry.backoff(Long.MAX_VALUE, minBackoff)
                .maxBackoff(maxBackoff)
                .scheduler(scheduler)
                .transientErrors(true)
                .filter(ProjectionRunner::isTransient)
                .doBeforeRetry(signal -> {
                    // the first of a row of failures is worth a warning; the ones after it, while the store stays away, are not
                    LOG.log(signal.totalRetriesInARow() == 0 ? Level.WARNING : Level.DEBUG,
                            "projection " + name + " lost the store; resuming from its checkpoint", signal.failure());
                    publish(run, new RunnerState.BackingOff(signal.failure(), signal.totalRetriesInARow() + 1));
                }));
    }

    private Flux<Checkpoint> follow(Run run) {
        // An event still being applied (the store failed under the run) ends before the reload.
        return Mono.defer(() -> run.pendingApply().then(handler.load(name)))
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("the handler of projection " + name + " loaded no checkpoint")))
                .flatMapMany(from -> {
                    publish(run, new RunnerState.Running());
                    AtomicReference<Checkpoint> expected = new AtomicReference<>(from);
                    AtomicInteger skipped = new AtomicInteger(); // other segments' events read since the checkpoint moved
                    return store.subscribe(query.after(from.position()))
                            .concatMap(event -> {
                                if (mine(event)) {
                                    skipped.set(0);
                                    return run.move(() -> handler.apply(name, event, expected.get()), expected);
                                }
                                if (skipped.incrementAndGet() < checkpointAfterSkipping) {
                                    return Mono.empty();
                                }
                                skipped.set(0);
                                return run.move(() -> handler.skipTo(name, event.position(), expected.get()), expected);
                            });
                })
                .retryWhen(Retry.indefinitely()
                        .filter(CheckpointMovedException.class::isInstance)
                        .doBeforeRetry(signal -> LOG.log(Level.DEBUG, () -> signal.failure().getMessage() + "; reloading")));
    }

    private void publish(Run run, RunnerState next) {
        synchronized (lock) {
            if (current == run && !run.stopping) {
                publish(next);
            }
        }
    }

    private void publish(RunnerState next) { // with lock held
        state = next;
        states.tryEmitNext(next);
    }

    private void failed(Run run, Throwable error) {
        synchronized (lock) {
            if (current == run && !run.stopping) {
                LOG.log(Level.ERROR, "projection " + name + " stopped", error);
                publish(new RunnerState.Failed(error));
            }
        }
    }

    private void stopped(Run run) {
        synchronized (lock) {
            if (current == run && !(state instanceof RunnerState.Failed) && !(state instanceof RunnerState.Stopped)) {
                publish(new RunnerState.Stopped());
            }
        }
    }

    /** One run, from a start to its end: its subscription, the event it is applying, its lease. */
    private final class Run {
        final Disposable.Swap subscription = Disposables.swap();
        final Mono<Void> previous;
        /** The latest apply; completed ones stay, harmlessly. Guarded by this for the hand-over with stop. */
        private CompletableFuture<Checkpoint> applying;
        private final AtomicReference<RunHeld> held = new AtomicReference<>();
        volatile boolean stopping;

        Run(Mono<Void> previous) {
            this.previous = previous;
        }

        /**
         * Runs one move of the checkpoint (an event applied, or other segments' events skipped) as
         * work of its own, which a stop does not cancel (see {@link #stop()}).
         */
        Mono<Checkpoint> move(Supplier<Mono<Checkpoint>> work, AtomicReference<Checkpoint> expected) {
            CompletableFuture<Checkpoint> applied = new CompletableFuture<>();
            synchronized (this) {
                if (stopping) {
                    return Mono.empty();
                }
                applying = applied;
            }
            Mono.defer(work)
                    .subscribe(applied::complete, applied::completeExceptionally,
                            () -> applied.completeExceptionally(new IllegalStateException("the handler of projection " + name
                                    + " completed without a checkpoint")));
            return Mono.fromFuture(applied, true).doOnNext(expected::set);
        }

        void stop() {
            synchronized (this) {
                stopping = true;
            }
            subscription.dispose();
        }

        Mono<Void> pendingApply() {
            CompletableFuture<Checkpoint> pending;
            synchronized (this) {
                pending = applying;
            }
            return pending == null ? Mono.empty() : Mono.fromFuture(pending, true).then().onErrorResume(e -> Mono.empty());
        }

        RunHeld hold(ProjectionLease.Held lease) {
            RunHeld runHeld = new RunHeld(this, lease);
            held.set(runHeld);
            return runHeld;
        }

        /** Completes when the event being applied has ended and the lease, if held, is released. */
        Mono<Void> cleanup() {
            return Mono.defer(() -> {
                RunHeld runHeld = held.get();
                return runHeld == null ? pendingApply() : runHeld.release();
            });
        }
    }

    /** A held lease of one run, released once (after the event being applied) however the run ends. */
    private static final class RunHeld {
        final ProjectionLease.Held held;
        private final Mono<Void> release;

        RunHeld(Run run, ProjectionLease.Held held) {
            this.held = held;
            this.release = Mono.defer(run::pendingApply).then(Mono.defer(held::release)).onErrorResume(e -> Mono.empty()).cache();
        }

        Mono<Void> lost() {
            return held.lost();
        }

        Mono<Void> release() {
            return release;
        }
    }

    /** Builds a {@link ProjectionRunner}. */
    public static final class Builder {
        private final EventStore store;
        private final String name;
        private final EventQuery query;
        private final CheckpointedHandler handler;
        private Duration minBackoff = Duration.ofMillis(100);
        private Duration maxBackoff = Duration.ofSeconds(10);
        private Scheduler scheduler = Schedulers.parallel();
        private ProjectionLease lease;
        private Segment segment;
        private int checkpointAfterSkipping = 1000;

        private Builder(EventStore store, String name, EventQuery query, CheckpointedHandler handler) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.name = Objects.requireNonNull(name, "name must not be null");
            this.query = Objects.requireNonNull(query, "query must not be null");
            this.handler = Objects.requireNonNull(handler, "handler must not be null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
        }

        /**
         * @param min the first pause after a failure a retry may cure
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
         * @param scheduler where backoff pauses run; {@link Schedulers#parallel()} otherwise (tests
         *     give a virtual-time scheduler)
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

        /**
         * Makes the runner apply one segment of the projection: only the events of the segment's
         * streams, with a checkpoint and a lease of its own under {@link Segment#name(String)}. Its
         * checkpoint moves with the segment's own events, and past other segments' events every
         * {@link #checkpointAfterSkipping(int)} of them; {@link #awaitApplied} waits for a position
         * of the segment's own streams. {@link PartitionedProjection} builds its runners so.
         *
         * @param segment the segment
         * @return this builder
         * @throws NullPointerException if {@code segment} is null
         */
        public Builder segment(Segment segment) {
            this.segment = Objects.requireNonNull(segment, "segment must not be null");
            return this;
        }

        /**
         * How many events of other segments a segment's runner reads in a row before it moves its
         * checkpoint past them ({@link CheckpointedHandler#skipTo}), so that a segment whose streams
         * are quiet does not read the whole log since its last own event again after a restart. A
         * restart reads at most this many events again; each move costs one checkpoint save (a
         * transaction for a transactional projection). Runners of a whole projection skip nothing.
         *
         * @param events how many, at least 1; 1000 otherwise
         * @return this builder
         * @throws IllegalArgumentException if {@code events} is less than 1
         */
        public Builder checkpointAfterSkipping(int events) {
            if (events < 1) {
                throw new IllegalArgumentException("checkpointAfterSkipping must be at least 1: " + events);
            }
            this.checkpointAfterSkipping = events;
            return this;
        }

        /** @return the runner, not started */
        public ProjectionRunner build() {
            return new ProjectionRunner(this);
        }
    }
}
