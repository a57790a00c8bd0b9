package io.reactivees.r2dbc;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.AppendRules;
import io.reactivees.r2dbc.Database.Sql;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * The {@link EventStore} on PostgreSQL, through R2DBC. It keeps the same contract as the in-memory
 * store (the shared contract suite checks both) and adds what a database gives: durability, many
 * application instances on one log, and a live tail fed by {@code LISTEN}/{@code NOTIFY}.
 *
 * <ul>
 *   <li><b>Append</b>: group commit. Appends (and {@link #appendAll}s) queue on a write lane, a
 *       connection the store holds; while one commit is in flight the next ones queue, and the next
 *       commit sends what queued as one call of a server-side function (one statement, one round
 *       trip, one transaction). The function locks the batch's streams in one sorted acquisition
 *       before its first write, checks each append's expected version and ids, and writes the
 *       accepted ones; each append gets its own outcome (a conflict or duplicate fails only that
 *       append). See {@link PostgresEventStoreOptions} for the lanes and batch bounds. After the
 *       commit the store wakes its own live tail and sends the other stores that listen a
 *       {@code NOTIFY} (coalesced, and none while no other store listens: a notification inside the
 *       append's transaction would serialize all commits on PostgreSQL's notify lock). {@link #appendInTransaction} appends through a caller's
 *       transaction instead.
 *   <li><b>Global order</b>: {@code (transaction_id, global_position)}. {@link #load} and
 *       {@link #subscribe} read only events of transactions older than
 *       {@code pg_snapshot_xmin(pg_current_snapshot())}: a transaction still in flight delays the
 *       feed but can never put an event behind one already delivered.
 *   <li><b>Reads</b>: keyset pages of {@link PostgresEventStoreOptions#pageSize()} rows, read when the
 *       consumer asks for more, on one pool connection kept across pages only while the consumer's
 *       demand is outstanding; see {@link EventReads}.
 *   <li><b>Live tail</b>: one {@code LISTEN} connection per store (not from the pool) wakes one shared
 *       reader that reads each new page once and hands it to every live subscription; see
 *       {@link #subscribe}.
 *   <li><b>Errors</b>, by SQLSTATE: a failure a retry may cure (connection lost, resources,
 *       shutdown, serialization failure) is a {@link io.reactivees.core.StoreUnavailableException};
 *       a schema that is not migrated, a missing privilege or another error no retry cures is a
 *       {@link io.reactivees.core.StoreConfigurationException} whose message says what to do; a
 *       value PostgreSQL cannot take (SQLSTATE classes 22 and 54) is an
 *       {@link IllegalArgumentException}. The driver's failure is kept as the cause.
 * </ul>
 *
 * <pre>{@code
 * PostgresEventStore store = PostgresEventStore.builder(connectionFactory)
 *         .options(PostgresEventStoreOptions.builder().schema("orders").build())
 *         .build();
 * store.migrate().then(store.append(...))...
 * store.close().subscribe(); // on shutdown
 * }</pre>
 */
public final class PostgresEventStore implements EventStore {

    private final ConnectionPool pool;
    private final boolean ownsPool;
    private final ConnectionFactory listenFactory;
    private final PostgresEventStoreOptions options;
    private final SqlNames names;
    private final Database database;
    private final LiveFeed feed;
    private final String appendCall;
    private final WriteLane[] lanes;
    private final LaneRouter router;
    private final EventReads reads;
    private final Scheduler timer;
    private final ConditionedAppend conditionedAppend;

    /** How often {@link #load(EventQuery, Position, Duration)} checks the read horizon. */
    private static final Duration HORIZON_CHECK = Duration.ofMillis(20);

    private PostgresEventStore(Builder builder) {
        this.options = builder.options;
        this.names = new SqlNames(options.schema());
        this.appendCall = AppendFunction.call(names);
        if (builder.connectionFactory instanceof ConnectionPool given) {
            this.pool = given;
            this.ownsPool = false;
            this.listenFactory = given.unwrap();
        } else {
            this.pool = new ConnectionPool(ConnectionPoolConfiguration.builder(builder.connectionFactory)
                    .initialSize(options.poolInitialSize())
                    .maxSize(options.poolMaxSize())
                    // idle connections can all die together (a restart, a failover, terminated
                    // sessions); each is found dead only when handed out, so try past all of them
                    .acquireRetry(options.poolMaxSize())
                    .name("reactivees-" + options.schema())
                    .build());
            this.ownsPool = true;
            this.listenFactory = builder.connectionFactory;
        }
        this.database = new Database(pool, listenFactory, builder.sessionConnections == null ? listenFactory : builder.sessionConnections);
        this.reads = new EventReads(database, names, options);
        this.timer = builder.timer;
        this.conditionedAppend = new ConditionedAppend(names);
        this.feed = new LiveFeed(this, database.sessionConnections(), names, options, builder.deliveryScheduler, builder.timer, builder.clock);
        this.lanes = new WriteLane[options.writeLanes()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new WriteLane(database, names, options, builder.timer, feed::committed);
        }
        this.router = new LaneRouter(List.of(lanes), LaneRouter.SPILL_EVENTS);
    }

    /**
     * Returns a builder over an R2DBC connection factory. A plain factory gets a pool of the store's
     * own (sized by the options); an {@link ConnectionPool} is used as given, and its underlying
     * factory opens the store's {@code LISTEN} connection.
     *
     * @throws NullPointerException if {@code connectionFactory} is null
     */
    public static Builder builder(ConnectionFactory connectionFactory) {
        return new Builder(connectionFactory);
    }

    /**
     * Returns a store with default options over an R2DBC URL such as
     * {@code r2dbc:postgresql://user:password@host:5432/database}.
     *
     * @throws NullPointerException if {@code r2dbcUrl} is null
     * @throws IllegalArgumentException if the URL is malformed or names no available driver
     */
    public static PostgresEventStore connect(String r2dbcUrl) {
        return builder(connectionFactory(r2dbcUrl)).build();
    }

    /**
     * Returns a connection factory for an R2DBC URL, set up as the store reads best: results in
     * PostgreSQL's binary format ({@code forceBinary}), unless the URL sets {@code forceBinary}
     * itself. Text results work too, but decoding timestamps and numbers from text makes
     * {@code load} about twice as slow. {@link #connect(String)} uses this factory; use it too when
     * you build the store (or a pool shared with other components) over a URL yourself.
     *
     * @throws NullPointerException if {@code r2dbcUrl} is null
     * @throws IllegalArgumentException if the URL is malformed or names no available driver
     */
    public static ConnectionFactory connectionFactory(String r2dbcUrl) {
        Objects.requireNonNull(r2dbcUrl, "r2dbcUrl must not be null");
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(r2dbcUrl);
        if (!options.hasOption(PostgresqlConnectionFactoryProvider.FORCE_BINARY)) {
            options = options.mutate().option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true).build();
        }
        return ConnectionFactories.get(options);
    }

    /** The options this store runs with. */
    public PostgresEventStoreOptions options() {
        return options;
    }

    /**
     * Creates or upgrades the store's schema; see {@link PostgresSchemaMigrator}.
     *
     * @return a cold {@code Mono} that completes when the schema is current; it fails as
     *     {@link PostgresSchemaMigrator#migrate()} does: with
     *     {@link io.reactivees.core.StoreConfigurationException} for a schema newer than this library
     *     or a role that may not migrate it, and with {@link io.reactivees.core.StoreUnavailableException}
     *     when the database cannot be reached
     */
    public Mono<Void> migrate() {
        return new PostgresSchemaMigrator(pool, options.schema()).migrate();
    }

    /**
     * Closes the store: appends still queued fail with {@link io.reactivees.core.StoreUnavailableException}
     * (nothing of them stored) and new ones are refused, commits in flight end (within the commit
     * timeout), the write lanes give their connections back, the live tail stops, and when the store
     * made its own pool, the pool closes. Live subscriptions stop receiving events. Commits not yet
     * notified to other stores on the schema are notified first.
     *
     * @return a cold {@code Mono} that completes when everything is released
     */
    public Mono<Void> close() {
        return Mono.defer(() -> Flux.fromArray(lanes).flatMap(WriteLane::close).then()
                .then(feed.stop())
                .then(ownsPool ? connectionsReturned().then(pool.disposeLater()) : Mono.empty()));
    }

    /**
     * Completes when no connection of the pool is handed out, or after a second. Stopping the feed
     * cancels its query, and the connection comes back a moment later; a pool disposed during that
     * release would count the connection's permit twice.
     */
    private Mono<Void> connectionsReturned() {
        return Mono.defer(() -> pool.getMetrics().map(PoolMetrics::acquiredSize).orElse(0) == 0
                        ? Mono.<Void>empty()
                        : Mono.<Void>error(new IllegalStateException("connections still in use")))
                .retryWhen(Retry.fixedDelay(100, Duration.ofMillis(10)))
                .onErrorResume(e -> Mono.empty());
    }

    /**
     * Reports how far the shared live feed lags behind the log: the position it has delivered up to,
     * and the number of committed events after it that it has not read yet (these wait for a wake-up
     * or for an older transaction to finish).
     *
     * @return a cold {@code Mono} of the status; it fails with
     *     {@link io.reactivees.core.StoreUnavailableException}
     */
    public Mono<FeedStatus> feedStatus() {
        return feed.status();
    }

    /**
     * Tells how many subscriptions follow the shared live feed now (those still catching up with
     * queries of their own are not counted). Read-only; it costs nothing, for gauges.
     *
     * @return the number of live subscriptions on the feed
     */
    public int liveSubscriptions() {
        return feed.liveSubscriptions();
    }

    /**
     * Tells how many times, since the store was built, a live subscription left the shared feed to
     * read pages of its own: it fell behind by more than its buffer
     * ({@link PostgresEventStoreOptions#subscriberBufferSize()}), or the feed had moved on before it
     * joined. Each then catches up and joins the feed again, missing nothing. Read-only, for
     * counters; a number that keeps growing means subscribers too slow for the buffer.
     *
     * @return the number of fallbacks so far
     */
    public long subscriberFallbacks() {
        return feed.fallbacks();
    }

    // ------------------------------------------------------------------ append

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        StreamAppend append = AppendRules.requireValidAppend(stream, expected, events);
        List<StreamAppend> unit = List.of(append);
        return router.submit(unit).map(results -> results.get(0));
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        return router.submit(checked);
    }

    /**
     * {@inheritDoc}
     *
     * <p>A conditioned append does not join the write lanes' group commit: it is one call of its own
     * (one round trip, one transaction) on a pool connection, which locks its streams, its events'
     * types and tags, and its condition's keys in one sorted acquisition before checking the
     * condition and writing. Plain appends lock their events' types and tags too (shared), so the
     * two paths see each other; see the README, "Dynamic consistency boundary".
     */
    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
        StreamAppend append = AppendRules.requireValidAppend(stream, expected, events);
        return conditioned(List.of(append), AppendRules.requireCondition(condition)).map(results -> results.get(0));
    }

    /**
     * {@inheritDoc}
     *
     * <p>One call of its own, as {@link #append(StreamId, ExpectedVersion, List, AppendCondition)}.
     */
    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        return conditioned(checked, AppendRules.requireCondition(condition));
    }

    private Mono<List<AppendResult>> conditioned(List<StreamAppend> appends, AppendCondition condition) {
        return database.withConnection(connection -> conditionedAppend.run(connection, appends, condition))
                // an id another store inserted after the function's check: a second run finds it stored
                .retryWhen(Retry.max(1).filter(Errors::isUniqueViolation).onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                .doOnNext(results -> feed.committed())
                .onErrorMap(e -> Errors.translate(e, names, "appending to " + appends.size() + " streams under a condition"));
    }

    /**
     * Appends inside the caller's own transaction, on the caller's connection: with the same checks
     * and outcomes as {@link #appendAll} (one entry for a single stream), committed or rolled back
     * with the caller's transaction. For an outbox, a process manager, or a projection that emits
     * events.
     *
     * <ul>
     *   <li>The transaction must run at READ COMMITTED (PostgreSQL's default); any other isolation
     *       level fails with {@link io.reactivees.core.StoreConfigurationException}: under REPEATABLE READ the append
     *       could not see the commits it waits for.
     *   <li>A conflict or a reused id fails this {@code Mono} with {@link ConcurrencyConflictException}
     *       or {@link io.reactivees.core.DuplicateEventException} and writes nothing; the
     *       transaction stays usable. The append holds locks on its streams until the transaction
     *       ends, so keep the transaction short after it.
     *   <li>When the transaction had written before (so it already holds a transaction id) and a
     *       newer commit wrote to one of the streams since, the events would land behind that
     *       commit in the global order: the append fails with
     *       {@link io.reactivees.core.RerunTransactionException};
     *       roll back and run the whole transaction again. Appending first in the transaction
     *       avoids this.
     *   <li>Any other database error aborts the caller's transaction (PostgreSQL's rule): roll back.
     *   <li>After the transaction commits, run {@link #afterCommit()} so live subscriptions see the
     *       events at once; otherwise they see them at the next poll ({@link
     *       PostgresEventStoreOptions#pollInterval()}).
     * </ul>
     *
     * @param connection a connection in the caller's transaction (or in auto-commit, for one
     *     statement's transaction)
     * @param appends one entry per stream, as for {@link #appendAll}
     * @return a cold {@code Mono} of one result per entry, in order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code appends} breaks the rules of {@link #appendAll}
     */
    public Mono<List<AppendResult>> appendInTransaction(Connection connection, List<StreamAppend> appends) {
        Objects.requireNonNull(connection, "connection must not be null");
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        return Mono.defer(() -> {
            AppendBatch batch = AppendBatch.of(checked);
            return Database.rows(connection, batch.sql(appendCall), AppendBatch.Row::of).collectList()
                    .flatMap(rows -> {
                        AppendBatch.Outcome outcome = batch.outcomes(rows).get(0);
                        return outcome.failure() != null ? Mono.error(outcome.failure()) : Mono.just(outcome.results());
                    });
        }).onErrorMap(e -> Errors.translate(e, names, "appending to " + checked.size() + " streams in the caller's transaction"));
    }

    /**
     * {@link #appendInTransaction(Connection, List)} under an {@link AppendCondition}: the condition
     * is checked, after the commit's locks are taken, in the caller's transaction, and holds until
     * it ends (the locks are held as long). The same rules apply, and the condition fails this
     * {@code Mono} with {@link io.reactivees.core.AppendConditionFailedException}, writing nothing.
     * Locks taken by an earlier append in the same transaction are outside this one's sorted
     * acquisition: append once per transaction, or order the appends alike in every transaction.
     *
     * @return a cold {@code Mono} of one result per entry, in order
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code appends} breaks the rules of {@link #appendAll}
     */
    public Mono<List<AppendResult>> appendInTransaction(Connection connection, List<StreamAppend> appends, AppendCondition condition) {
        Objects.requireNonNull(connection, "connection must not be null");
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        AppendRules.requireCondition(condition);
        return Mono.defer(() -> conditionedAppend.run(connection, checked, condition))
                .onErrorMap(e -> Errors.translate(e, names, "appending to " + checked.size() + " streams under a condition in the caller's transaction"));
    }

    /**
     * Wakes the live tail after a transaction that appended through {@link #appendInTransaction}
     * committed: this store's subscriptions read the new events at once, and other stores on the
     * schema are notified. Harmless when nothing was appended.
     *
     * @return a cold {@code Mono} that completes at once; the notification is sent in the background
     */
    public Mono<Void> afterCommit() {
        return Mono.fromRunnable(feed::committed);
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        Sql sql = new Sql("SELECT version FROM " + names.table("streams") + " WHERE stream_id = $1", List.of(stream.toString()));
        return database.withConnection(connection -> Database.rows(connection, sql, row -> row.get("version", Long.class)).next())
                .onErrorMap(e -> Errors.translate(e, names, "reading the version of " + stream));
    }

    @Override
    public Mono<RecordedEvent> readEvent(UUID eventId) {
        Objects.requireNonNull(eventId, "eventId must not be null");
        return reads.readEvent(eventId);
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        Objects.requireNonNull(stream, "stream must not be null");
        Objects.requireNonNull(options, "options must not be null");
        return reads.readStream(stream, options);
    }

    @Override
    public Flux<RecordedEvent> load(EventQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return reads.load(query);
    }

    /**
     * Loads like {@link #load(EventQuery)}, but only once the read horizon has passed {@code through}
     * (for instance the {@link AppendResult#position()} of a request's own append), so that the events
     * include everything up to it: read your writes. It waits for the horizon, checking it at once
     * and 20 ms after each check on the builder's {@code timer}, for at most {@code timeout}; it never reads past the
     * horizon. The events may go beyond {@code through}, up to the horizon.
     *
     * @param query what to load
     * @param through the position the events must include, when it matches {@code query}
     * @param timeout how long to wait for the horizon at most
     * @return a cold {@code Flux} of the events in the global order; it fails with
     *     {@link ReadHorizonTimeoutException} when a transaction older than {@code through}'s commit is
     *     still open when {@code timeout} passes (nothing emitted), and with the errors of
     *     {@link #load(EventQuery)}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public Flux<RecordedEvent> load(EventQuery query, Position through, Duration timeout) {
        Objects.requireNonNull(query, "query must not be null");
        Objects.requireNonNull(through, "through must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative: " + timeout);
        }
        return reads.loadThrough(query, through, timeout, HORIZON_CHECK, timer);
    }

    /**
     * {@inheritDoc}
     *
     * <p>Outages: when the database goes away, a live subscription either carries on once it is back
     * (nothing lost, nothing twice), or fails with {@link io.reactivees.core.StoreUnavailableException}
     * within a bounded time (the shared feed fails its live subscriptions after its reads have failed
     * for 10 seconds in a row, a read that does not answer counting as failed at that deadline; a
     * subscription catching up fails with its own query's error), so that the subscriber resumes
     * {@code after} the position of the last event it processed. It never stalls silently. The shared
     * feed runs only while a live subscription needs it, and its {@code LISTEN} connection may be
     * wrapped (r2dbc-pool, r2dbc-proxy, Spring Boot's observation); a factory whose connections are
     * not r2dbc-postgresql's underneath falls back to the poll, with a warning.
     */
    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return feed.subscribe(query).onErrorMap(e -> Errors.translate(e, names, "following events"));
    }

    /** One page of the global order, for the live feed; see {@link EventReads#globalPage}. */
    Mono<EventReads.Page> globalPage(EventQuery query, Position after, Long horizon) {
        return reads.globalPage(query, after, horizon);
    }

    /** Everything up to the current horizon, for the live feed; see {@link EventReads#currentCoverage}. */
    Mono<Position> currentCoverage() {
        return reads.currentCoverage();
    }

    /** The committed events after {@code position}, for the feed status; see {@link EventReads#countAfter}. */
    Mono<Long> countAfter(Position position) {
        return reads.countAfter(position);
    }

    // ------------------------------------------------------------------ plumbing

    /** The database layer this store and its companions (snapshots, checkpoints, leases) work through. */
    Database database() {
        return database;
    }

    /** Builds a {@link PostgresEventStore}. */
    public static final class Builder {
        private final ConnectionFactory connectionFactory;
        private PostgresEventStoreOptions options = PostgresEventStoreOptions.defaults();
        private Scheduler deliveryScheduler = Schedulers.parallel();
        private Scheduler timer = Schedulers.parallel();
        private Clock clock = Clock.systemUTC();
        private ConnectionFactory sessionConnections;

        private Builder(ConnectionFactory connectionFactory) {
            this.connectionFactory = Objects.requireNonNull(connectionFactory, "connectionFactory must not be null");
        }

        /**
         * Sets the options; {@link PostgresEventStoreOptions#defaults()} otherwise.
         *
         * @throws NullPointerException if {@code options} is null
         */
        public Builder options(PostgresEventStoreOptions options) {
            this.options = Objects.requireNonNull(options, "options must not be null");
            return this;
        }

        /**
         * Sets the scheduler on which live subscriptions receive events from the shared feed, so a
         * slow subscriber never holds up the feed; {@link Schedulers#parallel()} by default.
         *
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder deliveryScheduler(Scheduler scheduler) {
            this.deliveryScheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets the scheduler that times the store's commits and queued appends (see
         * {@link PostgresEventStoreOptions#commitTimeout()}) and the live feed (its poll, its
         * {@code LISTEN} reconnects and their backoff, its outage deadline);
         * {@link Schedulers#parallel()} by default. Tests give a virtual-time scheduler.
         *
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder timer(Scheduler scheduler) {
            this.timer = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets the clock that stamps when the live feed last advanced ({@link FeedStatus#lastAdvancedAt()});
         * the system's UTC clock by default.
         *
         * @throws NullPointerException if {@code clock} is null
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets where the store opens the connections that need a PostgreSQL session of their own: the
         * live tail's {@code LISTEN} connection and the session of a {@link PostgresProjectionLease}.
         * By default they come from the store's factory (the pool's underlying factory). Behind
         * PgBouncer in transaction pooling mode, give a factory of direct connections to PostgreSQL
         * here (not through the pooler): session state does not survive a transaction there, so
         * {@code LISTEN} hears nothing (the poll still covers it) and the advisory lease is refused.
         * Everything else (appends, reads, transactional projections, {@link PostgresTableLease}) works
         * through the pooler.
         *
         * @param factory opens direct connections, one per {@code LISTEN} and per lease session
         * @return this builder
         * @throws NullPointerException if {@code factory} is null
         */
        public Builder sessionConnections(ConnectionFactory factory) {
            this.sessionConnections = Objects.requireNonNull(factory, "factory must not be null");
            return this;
        }

        /** Returns the store. It connects lazily: nothing is opened until the first operation. */
        public PostgresEventStore build() {
            return new PostgresEventStore(this);
        }
    }
}
