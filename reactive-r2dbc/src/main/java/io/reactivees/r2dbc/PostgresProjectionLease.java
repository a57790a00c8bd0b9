package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.internal.Durations;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.r2dbc.Database.Sql;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link ProjectionLease} on PostgreSQL session-level advisory locks, keyed by the store's schema
 * and the projection's name ({@code hashtextextended(schema || ':' || name, 0)}). Make one per
 * application replica and give it to all the replica's runners: they share one session, a
 * connection of its own opened outside the pool (connections are scarce), held while any runner
 * holds or waits for a lease and closed when none does. Within the replica, one runner holds a
 * projection's lease at a time (session locks are re-entrant, so the lease keeps its own count).
 *
 * <p>A waiting replica tries the lock every {@code retryInterval} on that same session (no new
 * connection per try). The holder probes its session every {@code probeInterval}; every statement
 * (lock attempt, probe, release, and the connect itself) has a deadline of {@code timeout}. When a
 * probe fails or does not answer by its deadline, the session is closed and each lease on it is
 * {@linkplain Held#lost() lost}: the holder stops itself at a local deadline, at most
 * {@code probeInterval + timeout} after its session stopped answering, without waiting for the
 * server. A cancel never cuts a lock attempt short: the attempt ends when the lock query answers,
 * and a lock it got is then unlocked on the same session, so a cancelled attempt never leaves a lock
 * behind.
 *
 * <p>The handover bound. PostgreSQL releases a session's locks when the session ends: at once when
 * its backend is terminated or its connection closed, so another replica takes over within one
 * {@code retryInterval}. A holder that is paused or cut off by the network keeps its session, and
 * its locks, until the server notices the dead connection: after {@code tcp_keepalives_idle +
 * tcp_keepalives_interval * tcp_keepalives_count} seconds of silence (or {@code tcp_user_timeout}
 * with data unacknowledged), which with Linux defaults is more than two hours. Set them on the server
 * (or per role, {@code ALTER ROLE ... SET tcp_keepalives_idle = 10}, ...) so that the takeover comes
 * well after the holder's local deadline, e.g. {@code tcp_keepalives_idle = 10},
 * {@code tcp_keepalives_interval = 5}, {@code tcp_keepalives_count = 3} and
 * {@code tcp_user_timeout = 30000} bound it near 30 s, against a local deadline of a few seconds. A
 * holder whose process is paused (a long GC pause, a frozen VM) stops only when it runs again, with
 * at most the event it was applying finished: at-least-once projections may then apply that event
 * twice; transactional ones are fenced by their checkpoint and apply each event once regardless.
 *
 * <p>Session advisory locks need a connection that keeps its session: not through PgBouncer in
 * transaction pooling mode. The lease checks it when it opens its session (a second, short-lived
 * connection of the same factory must answer from another backend, and the session's backend must
 * stay the same) and fails with {@link StoreConfigurationException} behind such a pooler; give the
 * store direct connections for its sessions ({@link PostgresEventStore.Builder#sessionConnections})
 * or use {@link PostgresTableLease}. A pooler under heavy load can pass the check by chance, so
 * configure it rather than rely on the check.
 */
public final class PostgresProjectionLease implements ProjectionLease {

    private static final System.Logger LOG = System.getLogger(PostgresProjectionLease.class.getName());

    private final Database database;
    private final SqlNames names;
    private final Duration retryInterval;
    private final Duration probeInterval;
    private final Duration timeout;
    private final Scheduler scheduler;

    private final Object lock = new Object();
    private Session session; // guarded by lock: the open session, null when none
    private int users; // guarded by lock: acquires going and leases held
    private final Set<String> claimed = new HashSet<>(); // guarded by lock: keys held or being tried here

    private PostgresProjectionLease(Builder builder) {
        this.database = builder.store.database();
        this.names = new SqlNames(builder.store.options().schema());
        this.retryInterval = builder.retryInterval;
        this.probeInterval = builder.probeInterval == null ? builder.retryInterval : builder.probeInterval;
        this.timeout = builder.timeout;
        this.scheduler = builder.scheduler;
    }

    /**
     * Returns a lease whose waiting replicas try every {@code retryInterval}, whose holder probes its
     * session as often, and whose statements have a deadline of 5 seconds, timed on
     * {@link Schedulers#parallel()}.
     *
     * @param store the store whose database holds the locks
     * @param retryInterval how often a waiting replica tries the lock, and how often the holder
     *     probes its session
     * @return the lease
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code retryInterval} is not positive
     */
    public static PostgresProjectionLease of(PostgresEventStore store, Duration retryInterval) {
        return builder(store).retryInterval(retryInterval).build();
    }

    /**
     * @param store the store whose database holds the locks
     * @return a builder with a retry and probe interval of 1 second and a timeout of 5 seconds
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(PostgresEventStore store) {
        return new Builder(store);
    }

    /**
     * {@inheritDoc}
     *
     * <p>It fails with {@link io.reactivees.core.StoreUnavailableException} when the session cannot
     * be opened or a lock attempt fails or passes its deadline (the session is then closed, and every
     * lease on it lost); the runner backs off and tries again.
     *
     * <p>A lock attempt in flight is never cut short: a cancel that comes while it runs takes effect
     * when it answers, and a lock it got is then given up on the same session. A lease granted but
     * dropped by a cancel that raced its delivery is given up too. A lease handed over belongs to
     * the subscriber, which must release it even when it cancelled meanwhile (a {@code usingWhen}
     * does).
     *
     * @throws NullPointerException if {@code projectionName} is null
     */
    @Override
    public Mono<Held> acquire(String projectionName) {
        Objects.requireNonNull(projectionName, "projectionName must not be null");
        String key = names.schema() + ":" + projectionName;
        return LeaseAttempt.acquire(() -> tryOnce(key), retryInterval, scheduler,
                e -> Errors.translate(e, names, "acquiring the lease of projection " + projectionName), this::enter, this::exit);
    }

    /** Claims {@code key} for one lock attempt on the open session; null when another runner here holds or tries it. */
    private @Nullable Claim claim(String key) {
        synchronized (lock) {
            return claimed.add(key) ? new Claim(key, openSession()) : null;
        }
    }

    /**
     * Tries the lock once: emits the held lease, or completes empty when another session (or runner
     * here) holds it. On an error or a missed deadline the session is closed, which undoes whatever
     * the attempt did.
     */
    private Mono<Held> tryOnce(String key) {
        Claim claim = claim(key);
        if (claim == null) {
            return Mono.empty();
        }
        return claim.session.connection()
                .flatMap(connection -> Database.rows(connection, Sql.of("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS held", key),
                                row -> row.get("held", Boolean.class))
                        .single()) // no answer at all is an error too
                .timeout(timeout, scheduler)
                .onErrorResume(error -> Mono.fromRunnable(() -> {
                    kill(claim.session, error);
                    unclaim(key);
                }).then(Mono.error(error)))
                .flatMap(held -> {
                    if (held) {
                        return Mono.just(claim.take());
                    }
                    unclaim(key);
                    return Mono.empty();
                });
    }

    /** Unlocks {@code key} on {@code session}; a failure or a missed deadline closes the session (which unlocks too). */
    private Mono<Void> unlock(Session on, String key) {
        if (on.dead) {
            return Mono.empty();
        }
        return on.connection()
                .flatMap(connection -> Database.run(connection, Sql.of("SELECT pg_advisory_unlock(hashtextextended($1, 0))", key)))
                .timeout(timeout, scheduler)
                .onErrorResume(e -> Mono.fromRunnable(() -> kill(on, e)));
    }

    private void enter() {
        synchronized (lock) {
            users++;
        }
    }

    private void exit() {
        Session idle = null;
        synchronized (lock) {
            if (--users == 0 && session != null) {
                idle = session;
                session = null;
            }
        }
        if (idle != null) {
            idle.close(null);
        }
    }

    private void unclaim(String key) {
        synchronized (lock) {
            claimed.remove(key);
        }
    }

    /** The open session, or a new one. With the lock held. */
    private Session openSession() {
        if (session == null || session.dead) {
            session = new Session();
        }
        return session;
    }

    private void kill(Session dead, Throwable why) {
        synchronized (lock) {
            if (session == dead) {
                session = null;
            }
        }
        dead.close(why);
    }

    /** A key claimed by one lock attempt; taken over by the lease when the lock was granted. */
    private final class Claim {
        final String key;
        final Session session;

        Claim(String key, Session session) {
            this.key = key;
            this.session = session;
        }

        Held take() {
            enter();
            return new Lease(key, session);
        }
    }

    /**
     * One session: a connection opened once, probed while open, closed once. Its end is every lease's
     * loss on it.
     */
    private final class Session {
        private final Mono<Connection> connection;
        private final AtomicReference<Connection> opened = new AtomicReference<>();
        private final Sinks.Empty<Void> ended = Sinks.empty();
        private final Disposable probing;
        volatile boolean dead;

        Session() {
            this.connection = Mono.<Connection>from(database.sessionConnections().create())
                    .timeout(timeout, scheduler)
                    .doOnNext(c -> {
                        opened.set(c);
                        if (dead) { // closed while it was opening
                            closeOpened();
                        }
                    })
                    .flatMap(c -> keepsItsSession(c).timeout(timeout, scheduler).thenReturn(c))
                    .doOnError(e -> close(e))
                    .cache();
            // The next probe is timed from the end of the one before: a hung probe meets its deadline, nothing queues behind it.
            this.probing = Mono.delay(probeInterval, scheduler)
                    .then(Mono.defer(() -> connection.flatMap(c -> Database.run(c, Sql.of("SELECT 1"))).timeout(timeout, scheduler)))
                    .repeat()
                    .subscribe(null, e -> kill(this, e));
        }

        /**
         * Fails with {@link StoreConfigurationException} when {@code connection} does not keep a
         * PostgreSQL session of its own: when a second connection of the same factory answers from
         * the same backend, or the connection's backend changes between two statements. Both happen
         * behind a pooler in transaction or statement mode (PgBouncer's {@code pool_mode =
         * transaction}), where a session lock would stay with a server connection that other
         * clients then use.
         */
        private Mono<Void> keepsItsSession(Connection connection) {
            Sql backend = Sql.of("SELECT pg_backend_pid() AS pid");
            Mono<Integer> here = Database.rows(connection, backend, row -> row.get("pid", Integer.class)).single();
            Mono<Integer> beside = Mono.usingWhen(Mono.from(database.sessionConnections().create()),
                    other -> Database.rows(other, backend, row -> row.get("pid", Integer.class)).single(),
                    Connection::close, (other, e) -> other.close(), Connection::close);
            return here.flatMap(first -> beside.flatMap(second -> here.flatMap(third -> first.equals(second) || !first.equals(third)
                    ? Mono.<Void>error(new StoreConfigurationException("the advisory projection lease needs a connection that keeps"
                            + " its PostgreSQL session, but this factory's connections share sessions (backends " + first + ", "
                            + second + ", " + third + "): a pooler in transaction mode, such as PgBouncer with pool_mode = transaction,"
                            + " where a session lock would leak to other clients. Give the store direct connections for sessions"
                            + " (PostgresEventStore.Builder.sessionConnections) or use PostgresTableLease", null))
                    : Mono.<Void>empty())));
        }

        Mono<Connection> connection() {
            return dead ? Mono.error(new IllegalStateException("the lease session is closed")) : connection;
        }

        Mono<Void> lost() {
            return ended.asMono();
        }

        void close(Throwable why) {
            synchronized (this) {
                if (dead) {
                    return;
                }
                dead = true;
            }
            if (why != null) {
                LOG.log(Level.WARNING, "projection lease session on schema " + names.schema() + " lost; its leases are lost", why);
            }
            probing.dispose();
            ended.tryEmitEmpty();
            closeOpened(); // one still opening is closed when it arrives
        }

        private void closeOpened() {
            Connection c = opened.getAndSet(null);
            if (c != null) {
                closeQuietly(c);
            }
        }
    }

    private void closeQuietly(Connection connection) {
        Mono.from(connection.close()).timeout(timeout, scheduler).onErrorResume(e -> Mono.empty()).subscribe();
    }

    private final class Lease implements Held {
        private final String key;
        private final Session session;
        private final Mono<Void> release;

        Lease(String key, Session session) {
            this.key = key;
            this.session = session;
            this.release = Mono.defer(() -> unlock(session, key))
                    .doFinally(signal -> {
                        unclaim(key);
                        exit();
                    })
                    .cache();
        }

        /**
         * {@inheritDoc}
         *
         * <p>It completes when the lease's session failed a probe or missed its deadline (the session
         * is then closed), or failed any other statement of the lease.
         */
        @Override
        public Mono<Void> lost() {
            return session.lost();
        }

        /**
         * {@inheritDoc}
         *
         * <p>The unlock has a deadline; when it fails or passes it, the session is closed, which
         * releases the lock as well. It never fails, and runs once however often it is called.
         */
        @Override
        public Mono<Void> release() {
            return release;
        }
    }

    /** Builds a {@link PostgresProjectionLease}. */
    public static final class Builder {
        private final PostgresEventStore store;
        private Duration retryInterval = Duration.ofSeconds(1);
        private Duration probeInterval;
        private Duration timeout = Duration.ofSeconds(5);
        private Scheduler scheduler = Schedulers.parallel();

        private Builder(PostgresEventStore store) {
            this.store = Objects.requireNonNull(store, "store must not be null");
        }

        /**
         * @param interval how often a waiting replica tries the lock; 1 second by default
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is not positive
         */
        public Builder retryInterval(Duration interval) {
            this.retryInterval = Durations.requirePositive(interval, "retryInterval");
            return this;
        }

        /**
         * @param interval how often the holder probes its session; the retry interval by default
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is not positive
         */
        public Builder probeInterval(Duration interval) {
            this.probeInterval = Durations.requirePositive(interval, "probeInterval");
            return this;
        }

        /**
         * @param timeout the deadline of each connect, lock attempt, probe and release; 5 seconds by default
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is not positive
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Durations.requirePositive(timeout, "timeout");
            return this;
        }

        /**
         * @param scheduler where retries, probes and deadlines are timed; {@link Schedulers#parallel()} by default
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /** @return the lease */
        public PostgresProjectionLease build() {
            return new PostgresProjectionLease(this);
        }
    }
}
