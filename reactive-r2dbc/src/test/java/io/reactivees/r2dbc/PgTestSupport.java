package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.ReadableMetadata;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Row;
import io.r2dbc.spi.Statement;
import io.reactivees.core.EventQuery;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import reactor.core.Disposable;
import reactor.core.Exceptions;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * What the PostgreSQL integration tests share: stores on schemas of their own, raw SQL sessions
 * beside the store, awaited conditions (never sleeps) and checks of the global order.
 *
 * <p>Everything here blocks only on the test's own thread; conditions are polled reactively, so
 * BlockHound stays quiet.
 */
final class PgTestSupport {

    /** How long any single verification may take. */
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private PgTestSupport() {}

    // ------------------------------------------------------------------ stores

    /** A migrated store on a fresh schema; closing it closes the store and drops the schema. */
    static final class StoreOnSchema implements AutoCloseable {
        final String schema;
        final PostgresEventStore store;
        private final List<Disposable> subscriptions = new ArrayList<>();
        private final List<ConnectionPool> pools = new ArrayList<>();
        private final List<PostgresEventStore> others = new ArrayList<>();

        private StoreOnSchema(String schema, PostgresEventStore store) {
            this.schema = schema;
            this.store = store;
        }

        /** Wraps a store built by hand on {@code schema}: closing closes it and drops the schema. */
        static StoreOnSchema of(String schema, PostgresEventStore store) {
            return new StoreOnSchema(schema, store);
        }

        /** Subscribes with a collector that the schema's close cancels. */
        Collected follow(EventQuery query) {
            Collected collected = new Collected();
            subscriptions.add(store.subscribe(query).subscribe(collected.events::add, collected::fail));
            return collected;
        }

        /**
         * Another store on this schema over {@code factory} (as another replica would be, or the same
         * application through a wrapped factory), with a pool of at most two connections; closed
         * before this schema's store.
         */
        PostgresEventStore storeOver(ConnectionFactory factory) {
            PostgresEventStore other = PostgresEventStore.builder(factory)
                    .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 2).build())
                    .build();
            others.add(other);
            return other;
        }

        /** Closes {@code pool} when the schema is closed (after the store). */
        StoreOnSchema owning(ConnectionPool pool) {
            pools.add(pool);
            return this;
        }

        /**
         * Waits until the read horizon has passed every event stored in this schema. The horizon is
         * cluster-wide: a transaction left open anywhere (another test, another database on the same
         * server) holds back every load, so a test that compares a load with what it appended waits
         * for this first.
         */
        void awaitSettled() {
            await("the read horizon passed every event of schema " + schema, () -> queryAsync(
                            "SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce(max(transaction_id), '0'::xid8) AS settled FROM "
                                    + table("events"))
                    .map(rows -> (Boolean) rows.get(0).get("settled")));
        }

        /** Everything stored, once settled (see {@link #awaitSettled()}). */
        List<RecordedEvent> loadAll() {
            awaitSettled();
            return store.load(EventQuery.all()).collectList().block(TIMEOUT);
        }

        /** The schema-qualified name of one of the store's tables. */
        String table(String name) {
            return new SqlNames(schema).table(name);
        }

        @Override
        public void close() {
            subscriptions.forEach(Disposable::dispose);
            try {
                others.forEach(other -> other.close().block(TIMEOUT));
                store.close().block(TIMEOUT);
                for (ConnectionPool pool : pools) {
                    // closing cancels the live feed's query, whose connection goes back a moment
                    // later; disposing the pool during that release returns its permit twice
                    awaitNoAcquiredConnection(pool);
                    pool.disposeLater().block(TIMEOUT);
                }
            } finally {
                PostgresTestDatabase.dropSchema(schema);
            }
        }
    }

    /** A store on a fresh schema over the shared test factory, with the given options. */
    static StoreOnSchema newStore(UnaryOperator<PostgresEventStoreOptions.Builder> options) {
        return newStore(PostgresTestDatabase.connectionFactory(), options);
    }

    /** A store on a fresh schema over {@code factory} (a plain factory or a pool), migrated. */
    static StoreOnSchema newStore(ConnectionFactory factory, UnaryOperator<PostgresEventStoreOptions.Builder> options) {
        String schema = PostgresTestDatabase.newSchema();
        PostgresEventStore store = PostgresEventStore.builder(factory)
                .options(options.apply(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 10)).build())
                .build();
        StoreOnSchema created = new StoreOnSchema(schema, store);
        try {
            store.migrate().block(TIMEOUT);
        } catch (RuntimeException e) {
            created.close();
            throw e;
        }
        return created;
    }

    /** A factory on the test database whose connections carry {@code applicationName}, to find them in pg_stat_activity. */
    static ConnectionFactory namedFactory(String applicationName) {
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                .option(Option.valueOf("applicationName"), applicationName)
                .build();
        return ConnectionFactories.get(options);
    }

    /** A pool of at most {@code maxSize} connections over {@code factory}, opening none up front. */
    static ConnectionPool pool(ConnectionFactory factory, int maxSize) {
        return new ConnectionPool(ConnectionPoolConfiguration.builder(factory)
                .initialSize(0)
                .maxSize(maxSize)
                .maxAcquireTime(TIMEOUT)
                .build());
    }

    /**
     * Writers appending steadily to {@code store} while {@code writing} says so: each of
     * {@code writers} appends {@code eventsPerAppend} events to one of five streams of its own, then
     * pauses. Failed appends are dropped (the checks compare with {@code load()}: an append whose
     * answer was lost may have committed). The returned subscription ends once {@code writing} is false.
     */
    static Disposable appendSteadily(PostgresEventStore store, int writers, int eventsPerAppend, Duration pause,
                                     java.util.function.BooleanSupplier writing) {
        java.util.concurrent.atomic.AtomicInteger attempted = new java.util.concurrent.atomic.AtomicInteger();
        return Flux.range(0, writers)
                .flatMap(w -> Flux.defer(() -> store.append(StreamId.of("item", "w" + w + "-" + attempted.incrementAndGet() % 5),
                                        io.reactivees.core.ExpectedVersion.any(), java.util.stream.IntStream.range(0, eventsPerAppend)
                                                .mapToObj(i -> io.reactivees.core.EventData.of("item.touched", "{}")).toList()) // new ids each time
                                .onErrorResume(e -> Mono.empty())
                                .then(Mono.delay(pause)))
                        .repeat(writing))
                .subscribeOn(reactor.core.scheduler.Schedulers.parallel())
                .subscribe();
    }

    /** A unique application name for one test's connections. */
    static String applicationName(String prefix) {
        return prefix + "_" + UUID.randomUUID().toString().substring(0, 8);
    }

    // ------------------------------------------------------------------ raw SQL

    /**
     * One raw connection of its own (not from any store's pool), used on the test's thread: plain SQL
     * with positional bindings, and explicit transactions.
     */
    static final class RawSession implements AutoCloseable {
        final Connection connection;

        RawSession() {
            this.connection = Mono.from(PostgresTestDatabase.connectionFactory().create()).block(TIMEOUT);
        }

        List<Map<String, Object>> query(String sql, Object... bindings) {
            return rows(connection, sql, bindings).collectList().block(TIMEOUT);
        }

        Object value(String sql, Object... bindings) {
            List<Map<String, Object>> rows = query(sql, bindings);
            assertEquals(1, rows.size(), "one row from " + sql);
            return rows.get(0).values().iterator().next();
        }

        long update(String sql, Object... bindings) {
            return Flux.from(bind(connection.createStatement(sql), bindings).execute())
                    .concatMap(Result::getRowsUpdated)
                    .reduce(0L, Long::sum)
                    .block(TIMEOUT);
        }

        /** Runs {@code sql} and returns the error it fails with; fails the test if it succeeds. */
        Throwable failure(String sql, Object... bindings) {
            Throwable error = Flux.from(bind(connection.createStatement(sql), bindings).execute())
                    .concatMap(Result::getRowsUpdated)
                    .then(Mono.<Throwable>error(new AssertionError("expected to fail: " + sql)))
                    .onErrorResume(e -> !(e instanceof AssertionError), Mono::just)
                    .block(TIMEOUT);
            return error;
        }

        void begin() {
            Mono.from(connection.beginTransaction()).block(TIMEOUT);
        }

        void commit() {
            Mono.from(connection.commitTransaction()).block(TIMEOUT);
        }

        void rollback() {
            Mono.from(connection.rollbackTransaction()).block(TIMEOUT);
        }

        int pid() {
            return (Integer) value("SELECT pg_backend_pid()");
        }

        /**
         * Begins a transaction and takes the advisory lock the store's commits take on
         * {@code stream} of {@code schema} before their first write, as another store's commit on
         * the stream would hold it. The lock ends with the transaction.
         */
        void holdStreamLock(String schema, StreamId stream) {
            begin();
            query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))::text AS locked",
                    "reactivees.stream:" + schema + ":" + stream);
        }

        /** The current transaction's id, assigning one if it has none. */
        long xid() {
            return Long.parseLong((String) value("SELECT pg_current_xact_id()::text"));
        }

        @Override
        public void close() {
            Mono.from(connection.close()).onErrorResume(e -> Mono.empty()).block(TIMEOUT);
        }
    }

    /** Runs a query on a connection of its own, reactively (for awaited conditions). */
    static Mono<List<Map<String, Object>>> queryAsync(String sql, Object... bindings) {
        return Mono.usingWhen(Mono.from(PostgresTestDatabase.connectionFactory().create()),
                connection -> rows(connection, sql, bindings).collectList(),
                Connection::close);
    }

    static Flux<Map<String, Object>> rows(Connection connection, String sql, Object... bindings) {
        return Flux.from(bind(connection.createStatement(sql), bindings).execute())
                .concatMap(result -> result.map((Row row, io.r2dbc.spi.RowMetadata meta) -> toMap(row, meta)));
    }

    private static Map<String, Object> toMap(Readable row, io.r2dbc.spi.RowMetadata meta) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (ReadableMetadata column : meta.getColumnMetadatas()) {
            values.put(column.getName(), row.get(column.getName()));
        }
        return values;
    }

    private static Statement bind(Statement statement, Object... bindings) {
        for (int i = 0; i < bindings.length; i++) {
            statement.bind(i, bindings[i]);
        }
        return statement;
    }

    /** Inserts one event row straight into the events table, the way any writer could. */
    static long insertRawEvent(RawSession session, StoreOnSchema on, UUID eventId, String streamId, String category,
                               long version, String type, String json) {
        return session.update("INSERT INTO " + on.table("events")
                        + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                        + " VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, '{}'::jsonb)",
                eventId.toString(), streamId, category, version, type, json);
    }

    // ------------------------------------------------------------------ awaiting

    /**
     * Waits until {@code condition} emits {@code true}, polling it every 20 ms (one poll at a time)
     * for at most {@link #TIMEOUT}; fails with {@code what} otherwise.
     */
    static void await(String what, Supplier<Mono<Boolean>> condition) {
        awaitValue(what, () -> condition.get().filter(Boolean::booleanValue));
    }

    /**
     * Waits until {@code probe} emits a value, polling it every 20 ms (one poll at a time) for at
     * most {@link #TIMEOUT}, and returns the value; fails with {@code what} otherwise.
     */
    static <T> T awaitValue(String what, Supplier<Mono<T>> probe) {
        PostgresTestDatabase.connectionFactory(); // resolved here, not first on a reactive thread
        try {
            return Flux.interval(Duration.ZERO, Duration.ofMillis(20))
                    .onBackpressureDrop()
                    .concatMap(tick -> Mono.defer(probe), 1)
                    .next()
                    .timeout(TIMEOUT, Mono.error(() -> new AssertionError("timed out after " + TIMEOUT + " waiting until " + what)))
                    .block();
        } catch (RuntimeException e) {
            if (Exceptions.unwrap(e) instanceof AssertionError failed) {
                throw failed;
            }
            throw e;
        }
    }

    /** The error {@code mono} fails with; fails the test if it succeeds. */
    static Throwable errorOf(Mono<?> mono) {
        return mono.then(Mono.<Throwable>error(new AssertionError("expected to fail")))
                .onErrorResume(e -> !(e instanceof AssertionError), Mono::just)
                .block(TIMEOUT);
    }

    /** {@link #await} for a condition on memory only. */
    static void awaitTrue(String what, Supplier<Boolean> condition) {
        await(what, () -> Mono.fromSupplier(condition));
    }

    /** Terminates a backend, as an administrator or a failover would, and waits until it is gone. */
    static void terminate(int pid) {
        try (RawSession admin = new RawSession()) {
            // false when the backend has ended by itself since the caller looked it up (a short-lived connection): gone either way
            if (!Boolean.TRUE.equals(admin.value("SELECT pg_terminate_backend($1)", pid))) {
                assertEquals(0L, admin.value("SELECT count(*) FROM pg_stat_activity WHERE pid = $1", pid), "terminated backend " + pid);
            }
        }
        await("backend " + pid + " is gone", () -> queryAsync("SELECT count(*) AS n FROM pg_stat_activity WHERE pid = $1", pid)
                .map(rows -> (Long) rows.get(0).get("n") == 0));
    }

    /** Waits until a backend of {@code schema}'s store waits for a stream's advisory lock; returns its pid. */
    static int awaitCommitWaitingForStreamLock(String schema) {
        return awaitValue("a commit of schema " + schema + " waits for a stream lock", () -> queryAsync(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory'"
                                + " AND query LIKE '%' || $1 || '%'", schema)
                .flatMap(rows -> rows.isEmpty() ? Mono.empty() : Mono.just((Integer) rows.get(0).get("pid"))));
    }

    /** Waits until {@code pool} holds no acquired connection. */
    static void awaitNoAcquiredConnection(ConnectionPool pool) {
        awaitTrue("the pool holds no acquired connection", () -> acquired(pool) == 0);
    }

    static int acquired(ConnectionPool pool) {
        return pool.getMetrics().orElseThrow().acquiredSize();
    }

    // ------------------------------------------------------------------ subscribers

    /** What a subscription has received so far. */
    static final class Collected {
        final List<RecordedEvent> events = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile Throwable error;

        void fail(Throwable e) {
            error = e;
        }

        List<RecordedEvent> snapshot() {
            synchronized (events) {
                return List.copyOf(events);
            }
        }

        int size() {
            return events.size();
        }

        /** Waits until at least {@code n} events arrived (and no error). */
        void awaitAtLeast(int n) {
            awaitTrue("the subscription received " + n + " events", () -> {
                if (error != null) {
                    throw new AssertionError("the subscription failed", error);
                }
                return events.size() >= n;
            });
        }
    }

    // ------------------------------------------------------------------ checks

    /** Asserts positions strictly increase and no event id repeats. */
    static void assertStrictGlobalOrder(List<RecordedEvent> events) {
        Set<UUID> seen = new HashSet<>();
        for (int i = 0; i < events.size(); i++) {
            RecordedEvent event = events.get(i);
            assertTrue(seen.add(event.eventId()), "event " + event.eventId() + " delivered twice (at index " + i + ")");
            if (i > 0) {
                assertTrue(event.position().isAfter(events.get(i - 1).position()),
                        "out of order at index " + i + ": " + events.get(i - 1).position() + " then " + event.position());
            }
        }
    }

    static List<UUID> ids(List<RecordedEvent> events) {
        return events.stream().map(RecordedEvent::eventId).toList();
    }
}
