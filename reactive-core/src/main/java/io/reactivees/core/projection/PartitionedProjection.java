package io.reactivees.core.projection;

import io.reactivees.core.internal.Durations;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * One projection split into {@code count} {@linkplain Segment segments} by a stable hash of the
 * stream id, run by competing workers across application replicas: each segment is a
 * {@link ProjectionRunner} with its own checkpoint and lease ({@link Segment#name(String)}), and each
 * replica runs at most its share of them, {@code ceil(count / live replicas)}. Make one per replica,
 * with the replica's lease and membership, and start it.
 *
 * <pre>{@code
 * PartitionedProjection balances = PartitionedProjection.builder("balances", 8,
 *                 name -> PostgresTransactionalProjection.runner(store, name, query, handler, reset, lease),
 *                 lease, lease)        // a PostgresTableLease is both the lease and the membership
 *         .build();
 * balances.start();
 * }</pre>
 *
 * <ul>
 *   <li><b>Membership</b>: the replica joins the group named after the projection
 *       ({@link ReplicaMembership}) and follows how many replicas are members.
 *   <li><b>Competing for segments</b>: all {@code count} runners are started; each waits for its
 *       segment's lease through a gate that lets at most the replica's share hold or try a lease at
 *       once. A try lasts {@code attemptWindow}, then gives its turn to another segment, so a
 *       replica with room finds the free segments.
 *   <li><b>Rebalancing</b>: every {@code rebalanceInterval}, a replica that runs more segments than
 *       its share (a replica joined) stops the extra runners and starts them again: they release
 *       their leases, which the newcomer takes, and wait at the gate. A replica that left, or died,
 *       drops out of the count (its leases are released or expire), and the others take its segments
 *       within their share.
 *   <li><b>Order and guarantees</b>: a stream's events all belong to one segment, which one runner
 *       applies at a time in the global order, so each stream's events are applied in order. A
 *       transactional segment runner applies each event once; an at-least-once one keeps its bound
 *       (after a handover, at most the event in flight again).
 *   <li><b>Changing {@code count}</b>: the segments of another count have other names, and so other
 *       checkpoints. Stop the partitioned projection on every replica, empty the read model, and
 *       start it with the new count: its segments start from the first event (a rebuild). Delete
 *       the old segments' checkpoints afterwards.
 * </ul>
 *
 * <p>Thread-safe. Timers run on the builder's scheduler.
 */
public final class PartitionedProjection {

    private static final System.Logger LOG = System.getLogger(PartitionedProjection.class.getName());

    private final String name;
    private final int count;
    private final ReplicaMembership membership;
    private final Duration rebalanceInterval;
    private final Duration attemptWindow;
    private final Scheduler scheduler;
    private final List<ProjectionRunner> runners;
    private final Gate gate;

    private final Object lock = new Object();
    private Disposable running; // guarded by lock: membership and rebalancing while started
    private volatile int members; // 0 until the membership's first count: no share before it

    private PartitionedProjection(Builder builder) {
        this.name = builder.name;
        this.count = builder.count;
        this.membership = builder.membership;
        this.rebalanceInterval = builder.rebalanceInterval;
        this.attemptWindow = builder.attemptWindow;
        this.scheduler = builder.scheduler;
        this.gate = new Gate(builder.lease);
        List<ProjectionRunner> built = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            Segment segment = new Segment(i, count);
            ProjectionRunner.Builder runner = Objects.requireNonNull(builder.runners.apply(name),
                    "the runner factory returned null for segment " + segment);
            built.add(runner.segment(segment).lease(gate).scheduler(scheduler).build());
        }
        this.runners = List.copyOf(built);
    }

    /**
     * Returns a builder.
     *
     * @param name the projection's stable name; each segment's is {@link Segment#name(String)}
     * @param count how many segments, at least 1
     * @param runners makes the runner builder of a segment from the projection's name (for instance
     *     {@code name -> PostgresTransactionalProjection.runner(store, name, query, handler)}); its
     *     segment, lease and scheduler are set here
     * @param lease the replica's lease, for every segment
     * @param membership the replica's membership
     * @return a builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank or {@code count} is not positive
     */
    public static Builder builder(String name, int count, Function<String, ProjectionRunner.Builder> runners, ProjectionLease lease,
                                  ReplicaMembership membership) {
        return new Builder(name, count, runners, lease, membership);
    }

    /** @return the projection's name */
    public String name() {
        return name;
    }

    /** @return the runners of the segments, by index; each may be running here or waiting for its lease */
    public List<ProjectionRunner> runners() {
        return runners;
    }

    /** @return the indexes of the segments this replica runs now (their runners are {@link RunnerState.Running}) */
    public Set<Integer> held() {
        Set<Integer> held = new TreeSet<>();
        for (ProjectionRunner runner : runners) {
            if (runner.state() instanceof RunnerState.Running) {
                held.add(runner.segment().orElseThrow().index());
            }
        }
        return held;
    }

    /** @return how many replicas were members at the last count this replica saw (itself included); 0 before the first */
    public int members() {
        return members;
    }

    /**
     * @return this replica's share of the segments now: {@code ceil(count / members)}; 0 before the
     *     membership's first count, so that a replica joining takes nothing before it knows its share
     */
    public int share() {
        int live = members;
        return live <= 0 ? 0 : (count + live - 1) / live;
    }

    /** Joins the membership and starts every segment's runner; does nothing while started. */
    public void start() {
        synchronized (lock) {
            if (running != null) {
                return;
            }
            Disposable.Composite parts = Disposables.composite();
            parts.add(membership.join(name)
                    .retryWhen(Retry.backoff(Long.MAX_VALUE, rebalanceInterval).maxBackoff(rebalanceInterval.multipliedBy(10))
                            .scheduler(scheduler)
                            .doBeforeRetry(signal -> LOG.log(Level.WARNING, "membership of " + name + " lost; joining again", signal.failure())))
                    .subscribe(n -> members = n));
            parts.add(Flux.interval(rebalanceInterval, rebalanceInterval, scheduler).onBackpressureDrop()
                    .concatMap(tick -> shed(), 1)
                    .subscribe());
            running = parts;
        }
        runners.forEach(ProjectionRunner::start);
    }

    /**
     * Stops every segment's runner and leaves the membership.
     *
     * @return a cold {@code Mono} that completes when every runner has stopped (see
     *     {@link ProjectionRunner#stop()}) and the membership is left; it never fails
     */
    public Mono<Void> stop() {
        return Mono.defer(() -> {
            Disposable parts;
            synchronized (lock) {
                parts = running;
                running = null;
            }
            if (parts != null) {
                parts.dispose();
            }
            return Flux.fromIterable(runners).flatMap(ProjectionRunner::stop).then();
        });
    }

    /** Stops and restarts the runners past this replica's share, so that their leases go to others. */
    private Mono<Void> shed() {
        return Mono.defer(() -> {
            List<ProjectionRunner> holding = new ArrayList<>();
            for (ProjectionRunner runner : runners) {
                if (runner.state() instanceof RunnerState.Running) {
                    holding.add(runner);
                }
            }
            int extra = holding.size() - share();
            if (extra <= 0) {
                return Mono.empty();
            }
            LOG.log(Level.DEBUG, () -> name + ": " + holding.size() + " segments held, share " + share() + "; handing " + extra + " over");
            return Flux.fromIterable(holding.subList(holding.size() - extra, holding.size()))
                    .concatMap(runner -> runner.stop().then(Mono.fromRunnable(() -> {
                        if (isStarted()) {
                            runner.start();
                        }
                    })))
                    .then();
        });
    }

    private boolean isStarted() {
        synchronized (lock) {
            return running != null;
        }
    }

    /**
     * The segments' lease: the replica's lease behind a gate that lets at most the replica's share
     * of segments hold or try their leases at once, each try for at most {@code attemptWindow}.
     */
    private final class Gate implements ProjectionLease {
        private final ProjectionLease lease;
        private final AtomicInteger taken = new AtomicInteger(); // segments holding or trying

        Gate(ProjectionLease lease) {
            this.lease = lease;
        }

        @Override
        public Mono<Held> acquire(String segmentName) {
            return Mono.defer(() -> {
                        if (!reserve()) {
                            return Mono.<Held>empty();
                        }
                        java.util.concurrent.atomic.AtomicBoolean turnEnded = new java.util.concurrent.atomic.AtomicBoolean();
                        Runnable endTurn = () -> {
                            if (turnEnded.compareAndSet(false, true)) {
                                taken.decrementAndGet();
                            }
                        };
                        return lease.acquire(segmentName)
                                .take(attemptWindow, scheduler)
                                .map(held -> {
                                    turnEnded.set(true); // the turn passes to the held lease, which gives it back on release
                                    return (Held) new GatedHeld(held);
                                })
                                .switchIfEmpty(Mono.fromRunnable(endTurn))
                                .doOnError(e -> endTurn.run())
                                .doOnCancel(endTurn); // a cancel after the lease was emitted is the repeat's, and ends nothing
                    })
                    .repeatWhenEmpty(Integer.MAX_VALUE, tries -> tries.concatMap(t -> Mono.delay(jitter(), scheduler)));
        }

        /** A turn at the gate, while fewer than the share of segments hold or try. */
        private boolean reserve() {
            while (true) {
                int now = taken.get();
                if (now >= share()) {
                    return false;
                }
                if (taken.compareAndSet(now, now + 1)) {
                    return true;
                }
            }
        }

        /** Between a quarter and a whole attempt window, so that the segments take turns. */
        private Duration jitter() {
            long window = Math.max(4, attemptWindow.toMillis());
            return Duration.ofMillis(window / 4 + java.util.concurrent.ThreadLocalRandom.current().nextLong(window * 3 / 4));
        }

        private final class GatedHeld implements Held {
            private final Held held;
            private final Mono<Void> release;

            GatedHeld(Held held) {
                this.held = held;
                this.release = Mono.defer(held::release).doFinally(signal -> taken.decrementAndGet()).cache();
            }

            @Override
            public Mono<Void> lost() {
                return held.lost();
            }

            @Override
            public Mono<Void> release() {
                return release;
            }
        }
    }

    /** Builds a {@link PartitionedProjection}. */
    public static final class Builder {
        private final String name;
        private final int count;
        private final Function<String, ProjectionRunner.Builder> runners;
        private final ProjectionLease lease;
        private final ReplicaMembership membership;
        private Duration rebalanceInterval = Duration.ofSeconds(1);
        private Duration attemptWindow = Duration.ofSeconds(1);
        private Scheduler scheduler = Schedulers.parallel();

        private Builder(String name, int count, Function<String, ProjectionRunner.Builder> runners, ProjectionLease lease,
                        ReplicaMembership membership) {
            this.name = Objects.requireNonNull(name, "name must not be null");
            this.runners = Objects.requireNonNull(runners, "runners must not be null");
            this.lease = Objects.requireNonNull(lease, "lease must not be null");
            this.membership = Objects.requireNonNull(membership, "membership must not be null");
            if (name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            if (count < 1) {
                throw new IllegalArgumentException("count must be positive: " + count);
            }
            this.count = count;
        }

        /**
         * @param interval how often the replica checks it runs no more than its share; 1 second by default
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is not positive
         */
        public Builder rebalanceInterval(Duration interval) {
            this.rebalanceInterval = Durations.requirePositive(interval, "rebalanceInterval");
            return this;
        }

        /**
         * @param window how long a segment tries its lease before giving its turn to another; 1 second by default
         * @return this builder
         * @throws NullPointerException if {@code window} is null
         * @throws IllegalArgumentException if {@code window} is not positive
         */
        public Builder attemptWindow(Duration window) {
            this.attemptWindow = Durations.requirePositive(window, "attemptWindow");
            return this;
        }

        /**
         * @param scheduler where the rebalancing, the gate's turns and the runners' backoff are
         *     timed; {@link Schedulers#parallel()} by default
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * @return the partitioned projection, not started
         * @throws NullPointerException if the runner factory returns null
         */
        public PartitionedProjection build() {
            return new PartitionedProjection(this);
        }
    }
}
