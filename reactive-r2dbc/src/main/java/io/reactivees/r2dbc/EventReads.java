package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.EventQuery;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.Database.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Operators;

/**
 * The reads of {@link PostgresEventStore}: a stream's events, the global order, and the pages and
 * figures the live feed reads. Every read is keyset-paged, one page of
 * {@link PostgresEventStoreOptions#pageSize()} rows per query, each query its own autocommit
 * statement: no transaction spans two pages, so a long read never holds back vacuum.
 *
 * <p>A read takes the next page only when the previous one has been emitted and more is wanted, and
 * keeps one pool connection across its pages only while its consumer's demand is outstanding
 * ({@link HeldConnection}): drained at full speed it costs one pool acquire, and a consumer that
 * asks for nothing, is cancelled or has finished holds none. A consumer that requests without bound
 * and then takes its time over each event keeps the connection (idle, outside any transaction)
 * until it has drained the page; one that bounds its demand ({@code limitRate}, {@code publishOn})
 * gives it back whenever its requests are met.
 */
final class EventReads {

    private final Database database;
    private final SqlNames names;
    private final int pageSize;
    private final String streamForwards;
    private final String streamBackwards;
    private final String countAfter;
    private final String byId;

    EventReads(Database database, SqlNames names, PostgresEventStoreOptions options) {
        this.database = database;
        this.names = names;
        this.pageSize = options.pageSize();
        this.streamForwards = streamPage(names, true);
        this.streamBackwards = streamPage(names, false);
        this.countAfter = "SELECT count(*) AS n FROM " + names.table("events")
                + " WHERE (transaction_id, global_position) > ($1::xid8, $2)";
        // served by the unique index on event_id
        this.byId = "SELECT " + EventRows.COLUMNS + " FROM " + names.table("events") + " WHERE event_id = $1";
    }

    private static String streamPage(SqlNames names, boolean forwards) {
        return "SELECT " + EventRows.COLUMNS + " FROM " + names.table("events") + " WHERE stream_id = $1 AND stream_version "
                + (forwards ? ">=" : "<=") + " $2 ORDER BY stream_version " + (forwards ? "ASC" : "DESC") + " LIMIT $3";
    }

    /** See {@link io.reactivees.core.EventStore#readStream}; arguments checked by the caller. */
    Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        boolean forwards = options.direction() == ReadOptions.Direction.FORWARDS;
        String sql = forwards ? streamForwards : streamBackwards;
        return Flux.defer(() -> {
            EventRows.Decoder decoder = new EventRows.Decoder();
            long[] next = {options.fromVersion()};
            long[] remaining = {options.limit()};
            return pages("reading " + stream, (connection, previous) -> {
                if (previous != null) {
                    RecordedEvent last = previous.events().get(previous.events().size() - 1);
                    next[0] = last.streamVersion() + (forwards ? 1 : -1);
                }
                int limit = (int) Math.min(pageSize, remaining[0]);
                return Database.rows(connection, new Sql(sql, List.of(stream.toString(), next[0], limit)), decoder::toEvent)
                        .collectList()
                        .map(events -> {
                            remaining[0] -= events.size();
                            return new Page(events, null, events.size() < limit || remaining[0] == 0);
                        });
            });
        });
    }

    /** See {@link io.reactivees.core.EventStore#readEvent}; the argument checked by the caller. */
    Mono<RecordedEvent> readEvent(UUID eventId) {
        Sql sql = Sql.of(byId, eventId);
        return database.withConnection(connection -> Database.rows(connection, sql, new EventRows.Decoder()::toEvent).next())
                .onErrorMap(e -> Errors.translate(e, names, "reading event " + eventId));
    }

    /** See {@link io.reactivees.core.EventStore#load}: every page below the horizon the first page read. */
    Flux<RecordedEvent> load(EventQuery query) {
        return Flux.defer(() -> {
            EventRows.Decoder decoder = new EventRows.Decoder();
            AtomicReference<Long> horizon = new AtomicReference<>();
            return pages("loading events", (connection, previous) -> {
                Position after = previous == null ? query.after() : previous.through();
                return globalPage(connection, decoder, query, after, horizon.get())
                        .doOnNext(page -> horizon.compareAndSet(null, page.horizon()));
            });
        });
    }

    /**
     * Reads one page of the global order after {@code after}, on a connection of its own. With
     * {@code horizon == null} it reads below the current horizon and reports it; otherwise below the
     * given one.
     */
    Mono<Page> globalPage(EventQuery query, Position after, Long horizon) {
        return database.withConnection(connection -> globalPage(connection, new EventRows.Decoder(), query, after, horizon));
    }

    private Mono<Page> globalPage(Connection connection, EventRows.Decoder decoder, EventQuery query, Position after, Long horizon) {
        Sql sql = EventRows.page(names, query, after, horizon, pageSize);
        if (horizon != null) {
            return Database.rows(connection, sql, decoder::toEvent).collectList().map(events -> page(events, after, horizon));
        }
        // The statement reads the horizon itself and returns it on every row, and on a row of null
        // event columns when no event qualifies: there is always a first row.
        return Database.rows(connection, sql, row -> new PageRow(row.get(1, UUID.class) == null ? null : decoder.toEvent(row, 1),
                        row.get(0, Long.class)))
                .collectList()
                .map(rows -> {
                    List<RecordedEvent> events = new ArrayList<>(rows.size());
                    for (PageRow row : rows) {
                        if (row.event() != null) {
                            events.add(row.event());
                        }
                    }
                    return page(events, after, rows.get(0).horizon());
                });
    }

    private Page page(List<RecordedEvent> events, Position after, long horizon) {
        boolean full = events.size() == pageSize;
        Position through = full
                ? events.get(events.size() - 1).position()
                : max(after, new Position(Math.max(0, horizon - 1), Long.MAX_VALUE));
        return new Page(events, through, horizon, !full);
    }

    /** Everything up to the current horizon: the position the live feed starts from. */
    Mono<Position> currentCoverage() {
        return horizon().map(h -> new Position(Math.max(0, h - 1), Long.MAX_VALUE));
    }

    /** The current read horizon: the oldest transaction id still open; every older one has ended. */
    Mono<Long> horizon() {
        Sql sql = Sql.of("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint AS horizon");
        return database.withConnection(connection -> Database.rows(connection, sql, row -> row.get(0, Long.class)).next());
    }

    /**
     * See {@link PostgresEventStore#load(EventQuery, Position, java.time.Duration)}: waits, checking
     * the horizon at once and then {@code every} after each check on {@code timer}, until it has
     * passed {@code through}'s commit, then loads; arguments checked by the caller. (A delay after
     * each check, not a periodic timer: checks never queue up behind a slow one, and stopping the
     * wait cancels one pending delay instead of a periodic task from another thread.)
     */
    Flux<RecordedEvent> loadThrough(EventQuery query, Position through, java.time.Duration timeout, java.time.Duration every,
                                    reactor.core.scheduler.Scheduler timer) {
        return Flux.defer(() -> {
            AtomicLong seen = new AtomicLong(-1);
            return horizon()
                    .onErrorMap(e -> Errors.translate(e, names, "reading the read horizon"))
                    .doOnNext(seen::set)
                    .repeatWhen(checked -> checked.concatMap(check -> Mono.delay(every, timer)))
                    .filter(horizon -> horizon > through.commit()) // every transaction up to the position's has ended
                    .next()
                    .timeout(timeout, Mono.error(() -> new ReadHorizonTimeoutException(through, timeout, seen.get())), timer)
                    .thenMany(load(query));
        });
    }

    /** Counts the committed events after {@code position}. */
    Mono<Long> countAfter(Position position) {
        Sql sql = Sql.of(countAfter, Long.toString(position.commit()), position.sequence());
        return database.withConnection(connection -> Database.rows(connection, sql, row -> row.get(0, Long.class)).next())
                .onErrorMap(e -> Errors.translate(e, names, "reading the feed status"));
    }

    private static Position max(Position a, Position b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private record PageRow(RecordedEvent event, long horizon) {}

    /**
     * A page of a read.
     *
     * @param events the events, in order
     * @param through the read covers every qualifying event up to this position, inclusive
     * @param horizon the transaction-id horizon the page was read below
     * @param last whether no further page follows
     */
    record Page(List<RecordedEvent> events, Position through, long horizon, boolean last) {
        Page(List<RecordedEvent> events, Position through, boolean last) {
            this(events, through, 0, last);
        }
    }

    /**
     * Turns a page source into a {@code Flux} that reads the next page only when the previous one
     * has been emitted and more is wanted: at most one page is held per reader. The pages run on one
     * {@link HeldConnection}, kept while the consumer's requests are not yet met. A page that fails
     * ends the read with the error translated (per page, not per event: nothing else can fail).
     */
    private Flux<RecordedEvent> pages(String activity, BiFunction<Connection, Page, Mono<Page>> next) {
        return Flux.defer(() -> {
            Demand demand = new Demand();
            HeldConnection held = database.heldConnection(demand::outstanding);
            AtomicReference<Page> previous = new AtomicReference<>();
            return Flux.<Integer>generate(sink -> sink.next(0))
                    // concatMap subscribes to the next page as soon as the previous one completes,
                    // demand or not, and subscribing takes a connection. The hidden (so not
                    // short-circuited) Mono.just(..).flatMap reads the page only once it is
                    // requested: no connection is taken while the consumer asks for nothing.
                    .concatMap(tick -> Mono.just(tick).hide()
                            .flatMap(t -> held.use(connection -> next.apply(connection, previous.get()), page -> !page.last())
                                    .onErrorMap(e -> Errors.translate(e, names, activity)))
                            .doOnNext(previous::set), 0)
                    .takeUntil(Page::last)
                    .concatMapIterable(Page::events, 1)
                    .doOnRequest(demand::add)
                    .doOnNext(event -> {
                        if (demand.emitted()) {
                            held.release(); // every request is met: hold nothing while the consumer decides
                        }
                    })
                    .doFinally(signal -> held.close());
        });
    }

    /** What the consumer of a read has requested and not yet received; unbounded stays unbounded. */
    private static final class Demand {
        private final AtomicLong requested = new AtomicLong();

        void add(long n) {
            requested.getAndUpdate(current -> Operators.addCap(current, n));
        }

        /** Counts one emitted event; true when that met the last outstanding request. */
        boolean emitted() {
            long current = requested.get();
            if (current == Long.MAX_VALUE) {
                return false;
            }
            return requested.decrementAndGet() == 0;
        }

        boolean outstanding() {
            return requested.get() > 0;
        }
    }
}
