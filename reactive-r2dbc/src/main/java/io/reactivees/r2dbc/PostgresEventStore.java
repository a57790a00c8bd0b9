package io.reactivees.r2dbc;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.Wrapped;
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
import io.reactivees.core.internal.AppendRules.StoredAt;
import io.reactivees.r2dbc.Database.Sql;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 *   <li><b>Append</b>: one statement, so one round trip and one implicit transaction: it claims the
 *       version range with a conditional {@code UPDATE ... WHERE version = $expected} (or an
 *       {@code INSERT ... ON CONFLICT DO NOTHING} for a new stream), inserts the whole batch from
 *       arrays. {@link #appendAll} runs one transaction that claims the streams in a fixed order (so
 *       crossing commits cannot deadlock) and inserts every event in one statement. After the commit
 *       the store wakes its own live tail and sends other stores a {@code NOTIFY} (coalesced: a
 *       notification inside the append's transaction would serialize all commits on PostgreSQL's
 *       notify lock).
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

    private static final String EVENT_ID_KEY = "events_event_id_key";
    private static final String STREAM_VERSION_KEY = "events_stream_version_key";

    /** How often an append starts over when it would write behind a newer commit (see appendStatement). */
    private static final int MAX_ORDER_RETRIES = 32;

    private final ConnectionPool pool;
    private final boolean ownsPool;
    private final ConnectionFactory listenFactory;
    private final PostgresEventStoreOptions options;
    private final SqlNames names;
    private final Database database;
    private final LiveFeed feed;
    private final EventReads reads;
    private final Map<Claim, String> appendStatements;
    private final Map<Claim, String> claimStatements;

    private PostgresEventStore(Builder builder) {
        this.options = builder.options;
        this.names = new SqlNames(options.schema());
        this.appendStatements = appendStatements(names);
        this.claimStatements = claimStatements(names);
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
        this.database = new Database(pool, listenFactory);
        this.reads = new EventReads(database, names, options);
        this.feed = new LiveFeed(this, listenFactory, names, options, builder.deliveryScheduler);
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
     * @return a cold {@code Mono} that completes when the schema is current; it fails with
     *     {@link io.reactivees.core.StoreUnavailableException}
     */
    public Mono<Void> migrate() {
        return new PostgresSchemaMigrator(pool, options.schema()).migrate();
    }

    /**
     * Stops the live tail and, when the store made its own pool, closes it. Live subscriptions stop
     * receiving events. Commits not yet notified to other stores on the schema are notified first.
     *
     * @return a cold {@code Mono} that completes when everything is released
     */
    public Mono<Void> close() {
        return Mono.defer(() -> feed.stop().then(ownsPool ? connectionsReturned().then(pool.disposeLater()) : Mono.empty()));
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

    // ------------------------------------------------------------------ append

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        StreamAppend append = AppendRules.requireValidAppend(stream, expected, events);
        return database.withConnection(connection -> appendStatement(connection, append))
                .retryWhen(orderRetry().filter(Errors::isWrittenBehind))
                .doOnNext(written -> feed.committed())
                .onErrorResume(PostgresEventStore::isRejectedWrite, e -> Mono.empty())
                .switchIfEmpty(Mono.defer(() -> resolveRejected(List.of(append)).map(results -> results.get(0))))
                .onErrorMap(e -> Errors.translate(e, "appending to " + stream));
    }

    /**
     * A write the database refused for a reason {@link #resolveRejected} explains: an event id
     * stored already, or (should anything but the claims have written versions) a version taken.
     */
    private static boolean isRejectedWrite(Throwable error) {
        return Errors.isUniqueViolation(error, EVENT_ID_KEY) || Errors.isUniqueViolation(error, STREAM_VERSION_KEY);
    }

    /** Runs the one-statement append; empty when the version claim failed. */
    Mono<AppendResult> appendStatement(Connection connection, StreamAppend append) {
        List<EventData> events = append.events();
        int n = events.size();
        List<Object> bindings = new ArrayList<>(List.of(
                append.streamId().toString(), append.streamId().category(), (long) n,
                ids(events), types(events), texts(events, true), texts(events, false)));
        Claim claim = Claim.of(append.expected());
        claim.bindExpected(append.expected(), bindings);
        return Database.rows(connection, new Sql(appendStatements.get(claim), bindings), row -> new AppendResult(append.streamId(),
                        row.get(0, Long.class), row.get(1, Long.class), new Position(Long.parseLong(row.get(3, String.class)), row.get(2, Long.class))))
                .next();
    }

    /** The one-statement append for each kind of claim; the expected version, when there is one, is {@code $8}. */
    private static Map<Claim, String> appendStatements(SqlNames names) {
        Map<Claim, String> statements = new EnumMap<>(Claim.class);
        for (Claim claim : Claim.values()) {
            statements.put(claim, "WITH claim AS (" + claimSql(names, claim, 8) + "),"
                    + " ins AS (INSERT INTO " + names.table("events")
                    + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                    + " SELECT e.id::uuid, $1, $2, claim.from_version + e.ord, e.type, e.data::jsonb, e.meta::jsonb"
                    + " FROM claim, unnest($4::text[], $5::text[], $6::text[], $7::text[]) WITH ORDINALITY AS e(id, type, data, meta, ord)"
                    + " RETURNING stream_version, global_position)"
                    + " SELECT min(stream_version) - 1 AS from_version, max(stream_version) AS to_version,"
                    + " max(global_position) AS pos, pg_current_xact_id()::text AS tx"
                    + " FROM ins HAVING count(*) > 0");
        }
        return statements;
    }

    /** The statement that claims versions on its own (in appendAll); the expected version, when there is one, is {@code $4}. */
    private static Map<Claim, String> claimStatements(SqlNames names) {
        Map<Claim, String> statements = new EnumMap<>(Claim.class);
        for (Claim claim : Claim.values()) {
            statements.put(claim, claimSql(names, claim, 4));
        }
        return statements;
    }

    /** How a claim meets its expected version; the statements are made once per store. */
    private enum Claim {
        /** An exact version above 0: a conditional update. */
        EXACT,
        /** No stream yet (or exact version 0): an insert that does nothing on conflict. */
        NEW,
        /** Any existing stream: an unconditional update of an existing row. */
        EXISTS,
        /** Any: an upsert. */
        ANY;

        static Claim of(ExpectedVersion expected) {
            if (expected instanceof ExpectedVersion.Exact exact) {
                return exact.version() > 0 ? EXACT : NEW;
            }
            return expected == ExpectedVersion.noStream() ? NEW : expected == ExpectedVersion.streamExists() ? EXISTS : ANY;
        }

        /** Adds the expected version as the next binding when the claim tests it. */
        void bindExpected(ExpectedVersion expected, List<Object> bindings) {
            if (this == EXACT) {
                bindings.add(((ExpectedVersion.Exact) expected).version());
            }
        }
    }

    /**
     * The statement that claims {@code $3} versions of stream {@code $1} (category {@code $2}) and
     * returns {@code from_version}, or no row when the stream does not meet {@code expected}. Every
     * variant uses all of {@code $1..$3} (the category test is always true), so the claim also runs
     * as a statement of its own.
     *
     * <p>It also stamps the stream with the claiming transaction's id ({@code last_tx}). The global
     * order is by transaction id, and an id is given at a transaction's first write: a claim may hold
     * an id older than a commit it waited for (an unconditional claim, a multi-stream commit, a
     * caller's transaction). Landing behind that commit would put the stream out of version order in
     * the global order. The claim sees the row as that commit left it (it waited for the row's lock;
     * the statement's snapshot would not show the commit's events), so a newer {@code last_tx} there
     * makes it raise; the append is then retried in a new transaction.
     */
    private static String claimSql(SqlNames names, Claim claim, int expectedParam) {
        String streams = names.table("streams");
        String stamp = "last_tx = CASE WHEN %s > pg_current_xact_id() THEN " + names.table("reject_written_behind")
                + "()::text::xid8 ELSE pg_current_xact_id() END";
        return switch (claim) {
            case EXACT -> "UPDATE " + streams + " SET version = version + $3, " + stamp.formatted("last_tx")
                    + " WHERE stream_id = $1 AND category = $2 AND version = $" + expectedParam
                    + " RETURNING version - $3 AS from_version";
            case NEW -> "INSERT INTO " + streams + " (stream_id, category, version, last_tx) VALUES ($1, $2, $3, pg_current_xact_id())"
                    + " ON CONFLICT (stream_id) DO NOTHING RETURNING 0::bigint AS from_version";
            case EXISTS -> "UPDATE " + streams + " SET version = version + $3, " + stamp.formatted("last_tx")
                    + " WHERE stream_id = $1 AND category = $2 RETURNING version - $3 AS from_version";
            case ANY -> "INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx) VALUES ($1, $2, $3, pg_current_xact_id())"
                    + " ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, " + stamp.formatted("s.last_tx")
                    + " RETURNING s.version - $3 AS from_version";
        };
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        boolean writes = checked.stream().anyMatch(append -> !append.isCheckOnly());
        return database.inTransaction(connection -> appendAllIn(connection, checked))
                .retryWhen(orderRetry().filter(e -> e instanceof WrittenBehind || Errors.isWrittenBehind(e)))
                .doOnNext(written -> {
                    if (writes) {
                        feed.committed();
                    }
                })
                .onErrorResume(e -> e instanceof ClaimRejected || isRejectedWrite(e),
                        e -> resolveRejected(checked))
                .onErrorMap(e -> Errors.translate(e, "appending to " + checked.size() + " streams"));
    }

    /** Retries an append that would have landed behind a newer commit, with jittered backoff. */
    private static reactor.util.retry.RetryBackoffSpec orderRetry() {
        return Retry.backoff(MAX_ORDER_RETRIES, Duration.ofMillis(1)).maxBackoff(Duration.ofMillis(50)).jitter(1.0)
                .onRetryExhaustedThrow((spec, signal) -> signal.failure());
    }

    private Mono<List<AppendResult>> appendAllIn(Connection connection, List<StreamAppend> appends) {
        // Claim in one fixed order, so two commits over the same streams lock them alike.
        List<StreamAppend> lockOrder = new ArrayList<>(appends);
        lockOrder.sort(Comparator.comparing(a -> a.streamId().toString()));
        Map<StreamId, Long> fromVersions = new HashMap<>();
        // First take a transaction-scoped advisory lock per stream, in the same order. Advisory locks
        // give the transaction no id, so the id comes with the first claim, after every wait on
        // another multi-stream commit: such commits never land behind one another.
        String[] keys = lockOrder.stream().map(a -> "reactivees.stream:" + names.schema() + ":" + a.streamId()).toArray(String[]::new);
        Sql lockAll = new Sql("SELECT count(pg_advisory_xact_lock(hashtextextended(k, 0))) AS locked"
                + " FROM (SELECT k FROM unnest($1::text[]) WITH ORDINALITY AS u(k, i) ORDER BY i) t", List.of((Object) keys));
        return Database.rows(connection, lockAll, row -> row.get("locked", Long.class)).then()
                .thenMany(Flux.fromIterable(lockOrder))
                .concatMap(append -> claim(connection, append).doOnNext(from -> fromVersions.put(append.streamId(), from)))
                .then(Mono.defer(() -> insertAll(connection, appends, fromVersions)));
    }

    /** Claims one entry's versions (or, for a check, locks the stream row); fails with ClaimRejected. */
    private Mono<Long> claim(Connection connection, StreamAppend append) {
        List<Object> bindings = new ArrayList<>(List.of(
                append.streamId().toString(), append.streamId().category(), (long) append.events().size()));
        String streams = names.table("streams");
        Claim claim = Claim.of(append.expected());
        claim.bindExpected(append.expected(), bindings);
        Sql sql = append.isCheckOnly()
                ? new Sql("SELECT version AS from_version FROM " + streams + " WHERE stream_id = $1 FOR SHARE", bindings.subList(0, 1))
                : new Sql(claimStatements.get(claim), bindings);
        return Database.rows(connection, sql, row -> row.get("from_version", Long.class))
                .next()
                .defaultIfEmpty(append.isCheckOnly() ? 0L : -1L)
                .flatMap(from -> {
                    boolean ok = append.isCheckOnly() ? append.expected().isSatisfiedBy(from) : from >= 0;
                    return ok ? Mono.just(from) : Mono.error(new ClaimRejected());
                });
    }

    private Mono<List<AppendResult>> insertAll(Connection connection, List<StreamAppend> appends, Map<StreamId, Long> fromVersions) {
        List<String> ids = new ArrayList<>();
        List<String> streamIds = new ArrayList<>();
        List<String> categories = new ArrayList<>();
        List<Long> versions = new ArrayList<>();
        List<String> types = new ArrayList<>();
        List<String> data = new ArrayList<>();
        List<String> metadata = new ArrayList<>();
        List<String> continued = new ArrayList<>();
        List<Long> continuedFrom = new ArrayList<>();
        for (StreamAppend append : appends) {
            long version = fromVersions.get(append.streamId());
            if (!append.isCheckOnly() && version > 0) {
                continued.add(append.streamId().toString());
                continuedFrom.add(version);
            }
            for (EventData event : append.events()) {
                ids.add(event.eventId().toString());
                streamIds.add(append.streamId().toString());
                categories.add(append.streamId().category());
                versions.add(++version);
                types.add(event.type());
                data.add(event.dataAsString());
                metadata.add(event.metadataAsString());
            }
        }
        // A transaction id is given at a transaction's first write, so this one may have got its id
        // before a commit that wrote to one of its streams while it waited for another stream's lock.
        // Its events would then come before that commit's in the global order: out of version order.
        // This statement sees every such commit (all claims hold their locks now); when there is one,
        // it inserts nothing, and the commit is retried in a new transaction with a newer id.
        String sql = "WITH behind AS (SELECT 1 FROM unnest($8::text[], $9::bigint[]) AS c(stream_id, version)"
                + " JOIN " + names.table("events") + " p ON p.stream_id = c.stream_id AND p.stream_version = c.version"
                + " WHERE p.transaction_id > pg_current_xact_id() LIMIT 1),"
                + " ins AS (INSERT INTO " + names.table("events")
                + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                + " SELECT e.id::uuid, e.stream_id, e.category, e.version, e.type, e.data::jsonb, e.meta::jsonb"
                + " FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[], $6::text[], $7::text[])"
                + " AS e(id, stream_id, category, version, type, data, meta)"
                + " WHERE NOT EXISTS (SELECT 1 FROM behind)"
                + " RETURNING stream_id, stream_version, global_position)"
                + " SELECT stream_id, max(stream_version) AS to_version, max(global_position) AS pos,"
                + " pg_current_xact_id()::text AS tx FROM ins GROUP BY stream_id";
        Sql insert = new Sql(sql, List.of(ids.toArray(String[]::new), streamIds.toArray(String[]::new),
                categories.toArray(String[]::new), versions.toArray(Long[]::new), types.toArray(String[]::new),
                data.toArray(String[]::new), metadata.toArray(String[]::new),
                continued.toArray(String[]::new), continuedFrom.toArray(Long[]::new)));
        return Database.rows(connection, insert, row -> Map.entry(StreamId.parse(row.get("stream_id", String.class)), new long[] {
                        row.get("to_version", Long.class), Long.parseLong(row.get("tx", String.class)), row.get("pos", Long.class)}))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .filter(written -> !written.isEmpty() || ids.isEmpty())
                .switchIfEmpty(Mono.error(WrittenBehind::new))
                .flatMap(written -> lastPositions(connection, appends, written).map(checkPositions -> {
                    List<AppendResult> results = new ArrayList<>(appends.size());
                    for (StreamAppend append : appends) {
                        long from = fromVersions.get(append.streamId());
                        long[] w = written.get(append.streamId());
                        results.add(w == null
                                ? new AppendResult(append.streamId(), from, from, checkPositions.getOrDefault(append.streamId(), Position.START))
                                : new AppendResult(append.streamId(), from, w[0], new Position(w[1], w[2])));
                    }
                    return results;
                }));
    }

    /** The position of the last event of each check-only entry's stream. */
    private Mono<Map<StreamId, Position>> lastPositions(Connection connection, List<StreamAppend> appends, Map<StreamId, long[]> written) {
        List<String> checked = appends.stream().filter(StreamAppend::isCheckOnly).map(a -> a.streamId().toString()).toList();
        if (checked.isEmpty()) {
            return Mono.just(Map.of());
        }
        return lastEventPositions(connection, checked);
    }

    private Mono<Map<StreamId, Position>> lastEventPositions(Connection connection, List<String> streamIds) {
        String sql = "SELECT DISTINCT ON (stream_id) stream_id, transaction_id::text AS tx, global_position FROM "
                + names.table("events") + " WHERE stream_id = ANY($1::text[]) ORDER BY stream_id, stream_version DESC";
        return Database.rows(connection, new Sql(sql, List.of((Object) streamIds.toArray(String[]::new))),
                        row -> Map.entry(StreamId.parse(row.get("stream_id", String.class)),
                                new Position(Long.parseLong(row.get("tx", String.class)), row.get("global_position", Long.class))))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue);
    }

    /**
     * Works out why a commit was rejected, after it rolled back: a retry of a stored commit answers
     * the original results; a reused event id is a duplicate; otherwise it is a version conflict.
     */
    private Mono<List<AppendResult>> resolveRejected(List<StreamAppend> appends) {
        List<String> ids = appends.stream().flatMap(a -> a.events().stream()).map(e -> e.eventId().toString()).toList();
        List<String> streamIds = appends.stream().map(a -> a.streamId().toString()).toList();
        String lookup = "SELECT e.id, ev.stream_id, ev.stream_version, ev.transaction_id::text AS tx, ev.global_position"
                + " FROM unnest($1::text[]) AS e(id) JOIN " + names.table("events") + " ev ON ev.event_id = e.id::uuid";
        String versions = "SELECT stream_id, version FROM " + names.table("streams") + " WHERE stream_id = ANY($1::text[])";
        return database.withConnection(connection -> Database.rows(connection, new Sql(lookup, List.of((Object) ids.toArray(String[]::new))),
                        row -> new Stored(UUID.fromString(row.get("id", String.class)),
                                new StoredAt(StreamId.parse(row.get("stream_id", String.class)), row.get("stream_version", Long.class)),
                                new Position(Long.parseLong(row.get("tx", String.class)), row.get("global_position", Long.class))))
                .collectMap(Stored::eventId)
                .zipWith(Database.rows(connection, new Sql(versions, List.of((Object) streamIds.toArray(String[]::new))),
                                row -> Map.entry(StreamId.parse(row.get("stream_id", String.class)), row.get("version", Long.class)))
                        .collectMap(Map.Entry::getKey, Map.Entry::getValue))
                .flatMap(found -> explainRejection(appends, found.getT1(), found.getT2(), connection)));
    }

    private record Stored(UUID eventId, StoredAt at, Position position) {}

    private Mono<List<AppendResult>> explainRejection(
            List<StreamAppend> appends, Map<UUID, Stored> stored, Map<StreamId, Long> versions, Connection connection) {
        if (!stored.isEmpty()) {
            if (!AppendRules.isRetryOfAll(appends, id -> stored.containsKey(id) ? stored.get(id).at() : null)) {
                return Mono.error(AppendRules.duplicateOf(appends, stored::containsKey));
            }
            List<String> checks = appends.stream().filter(StreamAppend::isCheckOnly).map(a -> a.streamId().toString()).toList();
            Mono<Map<StreamId, Position>> checkPositions = checks.isEmpty() ? Mono.just(Map.of()) : lastEventPositions(connection, checks);
            return checkPositions.map(positions -> appends.stream().map(append -> {
                if (append.isCheckOnly()) {
                    long version = versions.getOrDefault(append.streamId(), 0L);
                    return new AppendResult(append.streamId(), version, version, positions.getOrDefault(append.streamId(), Position.START));
                }
                Stored first = stored.get(append.events().get(0).eventId());
                Stored last = stored.get(append.events().get(append.events().size() - 1).eventId());
                return new AppendResult(append.streamId(), first.at().streamVersion() - 1, last.at().streamVersion(), last.position());
            }).toList());
        }
        for (StreamAppend append : appends) {
            long actual = versions.getOrDefault(append.streamId(), 0L);
            if (!append.expected().isSatisfiedBy(actual)) {
                return Mono.error(new ConcurrencyConflictException(append.streamId(), append.expected(), actual));
            }
        }
        // The claim failed, but the streams meet their expectations now: they moved while we looked.
        // Report the conflict against the first stream; the caller reloads and retries either way.
        StreamAppend first = appends.get(0);
        return Mono.error(new ConcurrencyConflictException(first.streamId(), first.expected(), versions.getOrDefault(first.streamId(), 0L)));
    }

    /** Signals inside appendAll's transaction that it would write behind a newer commit; retried. */
    private static final class WrittenBehind extends RuntimeException {
        private static final long serialVersionUID = 1L;

        WrittenBehind() {
            super("a commit with a newer transaction id wrote to the same streams meanwhile, " + (MAX_ORDER_RETRIES + 1) + " times in a row",
                    null, false, false);
        }
    }

    /** Signals inside appendAll's transaction that a claim failed; resolved after the rollback. */
    private static final class ClaimRejected extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ClaimRejected() {
            super("version claim rejected", null, false, false);
        }
    }

    // ------------------------------------------------------------------ reads

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        Sql sql = new Sql("SELECT version FROM " + names.table("streams") + " WHERE stream_id = $1", List.of(stream.toString()));
        return database.withConnection(connection -> Database.rows(connection, sql, row -> row.get("version", Long.class)).next())
                .onErrorMap(e -> Errors.translate(e, "reading the version of " + stream));
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

    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return feed.subscribe(query).onErrorMap(e -> Errors.translate(e, "following events"));
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

    private static String[] ids(List<EventData> events) {
        return events.stream().map(e -> e.eventId().toString()).toArray(String[]::new);
    }

    private static String[] types(List<EventData> events) {
        return events.stream().map(EventData::type).toArray(String[]::new);
    }

    private static String[] texts(List<EventData> events, boolean data) {
        return events.stream().map(e -> data ? e.dataAsString() : e.metadataAsString()).toArray(String[]::new);
    }

    /** Builds a {@link PostgresEventStore}. */
    public static final class Builder {
        private final ConnectionFactory connectionFactory;
        private PostgresEventStoreOptions options = PostgresEventStoreOptions.defaults();
        private Scheduler deliveryScheduler = Schedulers.parallel();

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

        /** Returns the store. It connects lazily: nothing is opened until the first operation. */
        public PostgresEventStore build() {
            return new PostgresEventStore(this);
        }
    }
}
