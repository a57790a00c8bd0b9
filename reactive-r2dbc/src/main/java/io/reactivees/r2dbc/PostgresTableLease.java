package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.internal.Durations;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ReplicaMembership;
import io.reactivees.r2dbc.Database.Sql;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import reactor.core.Disposable;
import reactor.core.Disposables;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * A {@link ProjectionLease} kept in a table ({@code projection_leases}: one row per projection with
 * its holder, a fencing token and an expiry), for deployments where a session does not last from one
 * transaction to the next: PgBouncer in transaction pooling mode, where
 * {@link PostgresProjectionLease}'s session advisory locks would leak to other clients. Every
 * statement is a transaction of its own, so it works through such a pooler.
 *
 * <ul>
 *   <li><b>Acquire</b>: takes the row when its lease has expired (or was released), judged by the
 *       database's clock ({@code expires_at <= now()}), and bumps the token: each holder of a
 *       projection has a token greater than every one before. A waiting replica tries every
 *       {@code retryInterval}; one try is one short statement that never waits for a lock.
 *   <li><b>Renew</b>: the holder moves the expiry to {@code now() + ttl} every
 *       {@code renewInterval}, as long as the row still carries its token and has not expired.
 *   <li><b>Local deadline</b>: the holder counts its lease {@linkplain Held#lost() lost} at
 *       {@code ttl} after it sent the last renewal the database confirmed (measured on its own
 *       scheduler; the database's expiry comes later, since it was judged when the statement ran),
 *       or at once when a renewal finds the row taken or expired. So it stops before another
 *       replica can take over, unless its whole process was paused.
 *   <li><b>Fence</b>: a transactional projection built with
 *       {@link PostgresTransactionalProjection#runner(PostgresEventStore, String,
 *       io.reactivees.core.EventQuery, java.util.function.BiFunction, java.util.function.Function,
 *       PostgresTableLease)} checks the token inside each event's transaction
 *       ({@code SELECT ... FOR KEY SHARE} on the lease row with the holder's token, not expired). A
 *       takeover locks the row {@code FOR UPDATE}, so it waits for no event in flight but skips the
 *       row while one is (it tries again later), and once it has committed, a stale holder's
 *       transaction fails its fence and applies nothing. Together with the checkpoint row, that
 *       makes a handover apply each event once even when the old holder was paused past its
 *       deadline.
 *   <li><b>Release</b> expires the row at once (the token stays, so the next holder's is greater).
 * </ul>
 *
 * <p>The handover bound: a holder that dies or is cut off loses its lease at most {@code ttl} after
 * its last confirmed renewal (its local deadline; its database expiry follows within the renewal's
 * round trip), and another replica takes over within one {@code retryInterval} after that expiry.
 * An at-least-once projection may apply again the events its stale holder applied after that
 * holder's local deadline passed unnoticed (a paused process): at most the event in flight when the
 * process froze. A fenced transactional projection applies each event once regardless.
 *
 * <p>Make one per application replica and give it to its runners; within the replica one runner
 * holds a projection's lease at a time. It is also the replica's {@link ReplicaMembership} for a
 * {@link io.reactivees.core.projection.PartitionedProjection}: a member is an expiring row too. The table is created by {@link PostgresEventStore#migrate()}.
 */
public final class PostgresTableLease implements ProjectionLease, ReplicaMembership {

    private static final System.Logger LOG = System.getLogger(PostgresTableLease.class.getName());

    private final Database database;
    private final SqlNames names;
    private final String table;
    private final Duration ttl;
    private final Duration renewInterval;
    private final Duration retryInterval;
    private final Duration timeout;
    private final Scheduler scheduler;

    private final Object lock = new Object();
    private final Map<String, Lease> held = new HashMap<>(); // guarded by lock: projections held or being tried here

    private PostgresTableLease(Builder builder) {
        this.database = builder.store.database();
        this.names = new SqlNames(builder.store.options().schema());
        this.table = names.table("projection_leases");
        this.ttl = builder.ttl;
        this.renewInterval = builder.renewInterval == null ? builder.ttl.dividedBy(3) : builder.renewInterval;
        this.retryInterval = builder.retryInterval;
        this.timeout = builder.timeout == null ? this.renewInterval : builder.timeout;
        this.scheduler = builder.scheduler;
        if (renewInterval.plus(timeout).compareTo(ttl) >= 0) {
            throw new IllegalArgumentException("renewInterval + timeout must be shorter than ttl, so that a renewal can land"
                    + " before the lease expires: " + renewInterval + " + " + timeout + " >= " + ttl);
        }
    }

    /** The migration step that creates the lease table. */
    static List<String> create(SqlNames names) {
        return List.of("CREATE TABLE " + names.table("projection_leases") + " ("
                + " name text PRIMARY KEY,"
                + " holder text NOT NULL,"
                + " token bigint NOT NULL,"
                + " expires_at timestamptz NOT NULL)");
    }

    /**
     * @param store the store (migrated) whose database holds the lease table
     * @return a builder with a ttl of 10 seconds, renewals every third of it, a retry interval of 1
     *     second, and a statement deadline of one renewal interval
     * @throws NullPointerException if {@code store} is null
     */
    public static Builder builder(PostgresEventStore store) {
        return new Builder(store);
    }

    /**
     * {@inheritDoc}
     *
     * <p>It fails with {@link StoreUnavailableException} when a try fails or passes its deadline (the
     * runner backs off and tries again), and with
     * {@link io.reactivees.core.StoreConfigurationException} when the lease table is missing (run
     * {@link PostgresEventStore#migrate()}).
     *
     * <p>A try in flight is never cut short: a cancel that comes while it runs takes effect when it
     * answers, and a lease it took is then released. A lease dropped by a cancel that raced its
     * delivery is released too. A lease handed over belongs to the subscriber, which must release it
     * even when it cancelled meanwhile (a {@code usingWhen} does).
     *
     * @throws NullPointerException if {@code projectionName} is null
     */
    @Override
    public Mono<Held> acquire(String projectionName) {
        Objects.requireNonNull(projectionName, "projectionName must not be null");
        return LeaseAttempt.acquire(() -> tryOnce(projectionName), retryInterval, scheduler,
                e -> Errors.translate(e, names, "acquiring the table lease of projection " + projectionName), () -> { }, () -> { });
    }

    private Mono<Held> tryOnce(String projection) {
        Lease lease;
        synchronized (lock) {
            if (held.containsKey(projection)) {
                return Mono.empty(); // another runner of this replica holds or tries it
            }
            lease = new Lease(projection, UUID.randomUUID().toString());
            held.put(projection, lease);
        }
        // The row is created expired once; the takeover then never waits: SKIP LOCKED passes over a
        // row that a takeover or an event's fence (KEY SHARE) has locked.
        Sql ensure = Sql.of("INSERT INTO " + table + " (name, holder, token, expires_at) VALUES ($1, '', 0, '-infinity')"
                + " ON CONFLICT (name) DO NOTHING", projection);
        Sql take = Sql.of("WITH free AS (SELECT name FROM " + table + " WHERE name = $1 AND expires_at <= now() FOR UPDATE SKIP LOCKED)"
                + " UPDATE " + table + " l SET holder = $2, token = l.token + 1, expires_at = now() + $3 * interval '1 millisecond'"
                + " FROM free WHERE l.name = free.name RETURNING l.token AS token", projection, lease.holder, ttl.toMillis());
        long sent = now();
        return database.withConnection(c -> Database.run(c, ensure).then(Database.rows(c, take, row -> row.get("token", Long.class)).next()))
                .timeout(timeout, scheduler)
                .map(token -> (Held) lease.start(token, sent))
                .switchIfEmpty(Mono.fromRunnable(lease::forget))
                // failed: a take that landed anyway (past its deadline) expires by itself, with nobody renewing it
                .doOnError(e -> lease.forget());
    }

    /**
     * {@inheritDoc}
     *
     * <p>A member is a row {@code group/replica/<random id>} of the lease table with an expiry of
     * {@code ttl}, renewed every {@code renewInterval}; each renewal also counts the rows of the group
     * that have not expired (and deletes those that have: a member's id is never used again). A
     * replica that stops renewing drops out of the count at most {@code ttl} later; one that leaves
     * deletes its row. A failed renewal is tried again at the next interval, so the {@code Flux} does
     * not fail; it emits the last count until one succeeds.
     *
     * @throws NullPointerException if {@code group} is null
     */
    @Override
    public Flux<Integer> join(String group) {
        Objects.requireNonNull(group, "group must not be null");
        String prefix = group + "/replica/";
        return Flux.defer(() -> {
            String member = prefix + UUID.randomUUID();
            Sql renew = Sql.of("INSERT INTO " + table + " (name, holder, token, expires_at) VALUES ($1, $1, 1, now() + $2 * interval '1 millisecond')"
                    + " ON CONFLICT (name) DO UPDATE SET expires_at = EXCLUDED.expires_at", member, ttl.toMillis());
            Sql count = Sql.of("WITH gone AS (DELETE FROM " + table + " WHERE starts_with(name, $1) AND expires_at <= now())"
                    + " SELECT count(*) AS n FROM " + table + " WHERE starts_with(name, $1) AND expires_at > now()", prefix);
            Mono<Integer> tick = database.withConnection(c -> Database.run(c, renew)
                            .then(Database.rows(c, count, row -> row.get("n", Long.class)).next()))
                    .map(Long::intValue)
                    .timeout(timeout, scheduler)
                    .onErrorResume(e -> Mono.fromRunnable(() -> LOG.log(Level.DEBUG, "renewing membership " + member + " failed", e)));
            return Flux.interval(Duration.ZERO, renewInterval, scheduler)
                    .onBackpressureDrop()
                    .concatMap(t -> tick, 1)
                    .distinctUntilChanged()
                    .doFinally(signal -> database.withConnection(c -> Database.run(c, Sql.of("DELETE FROM " + table + " WHERE name = $1", member)))
                            .timeout(timeout, scheduler)
                            .onErrorResume(e -> Mono.empty())
                            .subscribe());
        });
    }

    /**
     * Checks, inside the caller's transaction on {@code connection}, that this replica still holds
     * the lease of {@code projection} with its token, and locks the lease row against a takeover
     * until the transaction ends.
     *
     * @return a {@code Mono} that completes when the fence holds; it fails with
     *     {@link StoreUnavailableException} (the lease is then lost) when the lease is not held here
     *     with a live token
     */
    Mono<Void> fence(Connection connection, String projection) {
        return Mono.defer(() -> {
            Lease lease;
            synchronized (lock) {
                lease = held.get(projection);
            }
            if (lease == null || lease.token == 0 || lease.lost) {
                return Mono.error(new StoreUnavailableException("projection " + projection
                        + " is not held by this replica's table lease; the event is not applied", null));
            }
            Sql check = Sql.of("SELECT token FROM " + table + " WHERE name = $1 AND token = $2 AND expires_at > now() FOR KEY SHARE",
                    projection, lease.token);
            return Database.rows(connection, check, row -> row.get("token", Long.class)).next()
                    .switchIfEmpty(Mono.defer(() -> {
                        lease.lose(null);
                        return Mono.error(new StoreUnavailableException("the table lease of projection " + projection + " (token "
                                + lease.token + ") expired or was taken over; the event is not applied", null));
                    }))
                    .then();
        });
    }

    private long now() {
        return scheduler.now(TimeUnit.MILLISECONDS);
    }

    /** One holding of one projection, from a try to its release or loss. */
    private final class Lease implements Held {
        final String projection;
        final String holder;
        volatile long token;
        volatile boolean lost;
        private final Sinks.Empty<Void> ended = Sinks.empty();
        private final Disposable.Swap renewing = Disposables.swap();
        private final Disposable.Swap deadline = Disposables.swap();
        private final Mono<Void> release;

        Lease(String projection, String holder) {
            this.projection = projection;
            this.holder = holder;
            this.release = Mono.defer(this::expire).doFinally(signal -> forget()).cache();
        }

        Lease start(long token, long sent) {
            this.token = token;
            confirmed(sent);
            // The next renewal is timed from the end of the one before: a hung one meets its deadline, nothing queues.
            renewing.update(Mono.delay(renewInterval, scheduler).then(Mono.defer(this::renew)).repeat(() -> !lost)
                    .subscribe(null, e -> lose(e)));
            return this;
        }

        private Mono<Void> renew() {
            long sent = now();
            Sql sql = Sql.of("UPDATE " + table + " SET expires_at = now() + $3 * interval '1 millisecond'"
                    + " WHERE name = $1 AND token = $2 AND expires_at > now() RETURNING token", projection, token, ttl.toMillis());
            return database.withConnection(c -> Database.rows(c, sql, row -> row.get("token", Long.class)).next())
                    .timeout(timeout, scheduler)
                    .doOnNext(t -> confirmed(sent))
                    .switchIfEmpty(Mono.fromRunnable(() -> lose(new IllegalStateException("the lease row was taken over or expired"))))
                    // a failed renewal is tried again at the next interval; the local deadline decides
                    .onErrorResume(e -> Mono.fromRunnable(() -> LOG.log(Level.DEBUG, "renewing the table lease of " + projection + " failed", e)))
                    .then();
        }

        /** The database confirmed a renewal sent at {@code sent}: its expiry is after {@code sent + ttl}. */
        private void confirmed(long sent) {
            long remaining = Math.max(0, sent + ttl.toMillis() - now());
            deadline.update(Mono.delay(Duration.ofMillis(remaining), scheduler)
                    .subscribe(t -> lose(new IllegalStateException("no renewal confirmed within the ttl " + ttl))));
        }

        void lose(Throwable why) {
            synchronized (this) {
                if (lost) {
                    return;
                }
                lost = true;
            }
            if (why != null) {
                LOG.log(Level.WARNING, "table lease of projection " + projection + " lost", why);
            }
            renewing.dispose();
            deadline.dispose();
            ended.tryEmitEmpty();
        }

        private Mono<Void> expire() {
            lose(null);
            Sql sql = Sql.of("UPDATE " + table + " SET expires_at = '-infinity' WHERE name = $1 AND token = $2", projection, token);
            return token == 0 ? Mono.empty() : database.withConnection(c -> Database.run(c, sql))
                    .timeout(timeout, scheduler)
                    .onErrorResume(e -> Mono.empty()); // it expires by itself
        }

        void forget() {
            synchronized (lock) {
                held.remove(projection, this);
            }
        }

        /**
         * {@inheritDoc}
         *
         * <p>It completes at the holder's local deadline ({@code ttl} after the last confirmed
         * renewal was sent), when a renewal or an event's fence finds the row taken over or
         * expired, and on release.
         */
        @Override
        public Mono<Void> lost() {
            return ended.asMono();
        }

        /**
         * {@inheritDoc}
         *
         * <p>It expires the row at once (with a deadline; when that fails the row expires by itself).
         * It never fails, and runs once however often it is called.
         */
        @Override
        public Mono<Void> release() {
            return release;
        }
    }

    /** Builds a {@link PostgresTableLease}. */
    public static final class Builder {
        private final PostgresEventStore store;
        private Duration ttl = Duration.ofSeconds(10);
        private Duration renewInterval;
        private Duration retryInterval = Duration.ofSeconds(1);
        private Duration timeout;
        private Scheduler scheduler = Schedulers.parallel();

        private Builder(PostgresEventStore store) {
            this.store = Objects.requireNonNull(store, "store must not be null");
        }

        /**
         * @param ttl how long a lease lasts without renewal, by the database's clock; 10 seconds by default
         * @return this builder
         * @throws NullPointerException if {@code ttl} is null
         * @throws IllegalArgumentException if {@code ttl} is not positive
         */
        public Builder ttl(Duration ttl) {
            this.ttl = Durations.requirePositive(ttl, "ttl");
            return this;
        }

        /**
         * @param interval how often the holder renews; a third of the ttl by default
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is not positive
         */
        public Builder renewInterval(Duration interval) {
            this.renewInterval = Durations.requirePositive(interval, "renewInterval");
            return this;
        }

        /**
         * @param interval how often a waiting replica tries to take the lease; 1 second by default
         * @return this builder
         * @throws NullPointerException if {@code interval} is null
         * @throws IllegalArgumentException if {@code interval} is not positive
         */
        public Builder retryInterval(Duration interval) {
            this.retryInterval = Durations.requirePositive(interval, "retryInterval");
            return this;
        }

        /**
         * @param timeout the deadline of each try, renewal and release; the renewal interval by default
         * @return this builder
         * @throws NullPointerException if {@code timeout} is null
         * @throws IllegalArgumentException if {@code timeout} is not positive
         */
        public Builder timeout(Duration timeout) {
            this.timeout = Durations.requirePositive(timeout, "timeout");
            return this;
        }

        /**
         * @param scheduler where retries, renewals, deadlines and the local clock run; {@link Schedulers#parallel()} by default
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * @return the lease
         * @throws IllegalArgumentException if {@code renewInterval + timeout} is not shorter than {@code ttl}
         */
        public PostgresTableLease build() {
            return new PostgresTableLease(this);
        }
    }
}
