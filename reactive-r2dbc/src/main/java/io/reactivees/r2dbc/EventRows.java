package io.reactivees.r2dbc;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.Payloads;
import io.reactivees.r2dbc.Database.Sql;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * The SQL that reads events, and the mapping of its rows. Every read orders by
 * {@code (transaction_id, global_position)} and pages by keyset on that pair.
 */
final class EventRows {

    /**
     * The columns of an event row. Their shape is chosen for decoding cost (see benchmarks/README.md,
     * "Load"): the transaction id as it is stored, an {@code xid8}, which the store's own codec
     * ({@link io.reactivees.r2dbc.internal.TransactionIdCodecRegistrar}) decodes from eight bytes (the
     * cast to {@code bigint} through text that it replaces formatted and parsed every row on the
     * server, about a fifth of the server's work in a read); and the time as UTC {@code timestamp},
     * which the driver decodes directly where a {@code timestamptz} costs it a look-up of the JVM's
     * current zone offset on every row.
     * The tags come as null when there are none (most events): the driver decodes a null for free,
     * where an empty {@code text[]} costs it an array header to parse on every row.
     */
    static final String COLUMNS = "event_id, stream_id, stream_version, transaction_id AS tx, global_position,"
            + " event_type, data, metadata, recorded_at AT TIME ZONE 'UTC' AS recorded_utc, NULLIF(tags, '{}') AS tags";

    /** What a read says when the connection factory lacks the store's {@code xid8} codec. */
    static final String NO_TRANSACTION_ID_CODEC = "the connection factory cannot decode xid8 transaction ids: it was built with"
            + " autodetectExtensions(false), so r2dbc-postgresql did not load the store's codec; build it with"
            + " codecRegistrar(new io.reactivees.r2dbc.internal.TransactionIdCodecRegistrar()), or leave extension detection on";

    /** Stream ids a decoder remembers at most; beyond, it starts over. */
    private static final int STREAM_IDS_KEPT = 1024;

    private EventRows() {}

    /**
     * Maps rows holding {@link #COLUMNS} to events, for one read. It remembers the stream ids it has
     * parsed (a read meets the same streams again and again), and hands the decoded payload arrays
     * to the events uncopied: the driver made them for this row alone. Used by one read at a time:
     * its pages are mapped one after the other.
     */
    static final class Decoder {
        private final Map<String, StreamId> streamIds = new HashMap<>();

        /** Maps a row that starts with {@link #COLUMNS}. */
        RecordedEvent toEvent(Readable row) {
            return toEvent(row, 0);
        }

        /**
         * Maps a row holding {@link #COLUMNS} from index {@code first} on. By index, not by name: a
         * name is looked up column by column on every call, which costs more than decoding the row.
         */
        RecordedEvent toEvent(Readable row, int first) {
            return Payloads.recordedEvent(
                    row.get(first, UUID.class),
                    streamId(row.get(first + 1, String.class)),
                    row.get(first + 2, Long.class),
                    new Position(transactionId(row, first + 3), row.get(first + 4, Long.class)),
                    row.get(first + 5, String.class),
                    row.get(first + 6, Json.class).asArray(),
                    row.get(first + 7, Json.class).asArray(),
                    row.get(first + 8, LocalDateTime.class).toInstant(ZoneOffset.UTC),
                    tags(row.get(first + 9, String[].class)));
        }

        /**
         * The row's transaction id, decoded by the store's {@code xid8} codec. A connection factory
         * that does not load driver extensions has none, and no read can work over it: that is a
         * setup error, said as such, not a decoding failure of one event.
         */
        private static long transactionId(Readable row, int index) {
            try {
                return row.get(index, Long.class);
            } catch (IllegalArgumentException e) {
                throw new StoreConfigurationException(NO_TRANSACTION_ID_CODEC, e);
            }
        }

        private static Set<String> tags(String[] tags) {
            return tags == null || tags.length == 0 ? Set.of() : Set.copyOf(Arrays.asList(tags));
        }

        private StreamId streamId(String text) {
            StreamId known = streamIds.get(text);
            if (known != null) {
                return known;
            }
            if (streamIds.size() >= STREAM_IDS_KEPT) {
                streamIds.clear();
            }
            StreamId parsed = StreamId.parse(text);
            streamIds.put(text, parsed);
            return parsed;
        }
    }

    /**
     * The next page of a global read: events after {@code after} that match {@code query}, below the
     * horizon. With {@code horizon == null} the statement reads the current horizon itself and
     * returns it as column {@code horizon} on every row, with one row of null event columns when no
     * event qualifies; otherwise it reads below the given horizon.
     */
    static Sql page(SqlNames names, EventQuery query, Position after, Long horizon, int limit) {
        for (EventFilter filter : query.filters()) {
            if (!filter.tags().isEmpty()) {
                return taggedPage(names, query, after, horizon, limit);
            }
        }
        List<Object> bindings = new ArrayList<>();
        StringBuilder where = new StringBuilder();
        if (horizon != null) {
            bindings.add(horizon.toString());
        }
        where.append("transaction_id < ").append(horizon == null ? "h.x" : "$1::xid8");
        where.append(" AND ").append(after(after, bindings));
        if (!query.filters().isEmpty()) {
            where.append(" AND (");
            for (int i = 0; i < query.filters().size(); i++) {
                where.append(i == 0 ? "(" : " OR (").append(filter(query.filters().get(i), bindings)).append(')');
            }
            where.append(')');
        }
        bindings.add(limit);
        String limitParam = "$" + bindings.size();
        String events = names.table("events");
        if (horizon != null) {
            return new Sql("SELECT " + COLUMNS + " FROM " + events + " WHERE " + where
                    + " ORDER BY transaction_id, global_position LIMIT " + limitParam, bindings);
        }
        // Read the horizon in the same statement, and get it back even when no event qualifies.
        return new Sql("WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)"
                + " SELECT h.x::text::bigint AS horizon, e.* FROM h LEFT JOIN LATERAL (SELECT " + COLUMNS
                + ", transaction_id AS order_tx FROM " + events + " WHERE " + where
                + " ORDER BY transaction_id, global_position LIMIT " + limitParam + ") e ON true"
                + " ORDER BY e.order_tx, e.global_position", bindings);
    }

    /**
     * {@link #page} of a query with a tagged filter: the union of one keyset branch per tagged filter,
     * read off the {@code event_tags} btree in the global order from its first tag, and one branch
     * for the other filters; each branch takes at most {@code limit} keys, and the page is the first
     * {@code limit} of their union (which holds the first {@code limit} of the query's events, since
     * each of those is among the first {@code limit} of its branch). Same columns and rows as
     * {@link #page}.
     */
    private static Sql taggedPage(SqlNames names, EventQuery query, Position after, Long horizon, int limit) {
        List<Object> bindings = new ArrayList<>();
        if (horizon != null) {
            bindings.add(horizon.toString());
        }
        String below = horizon == null ? "h.x" : "$1::xid8";
        String events = names.table("events");
        List<String> branches = new ArrayList<>();
        List<EventFilter> untagged = new ArrayList<>();
        for (EventFilter filter : query.filters()) {
            if (filter.tags().isEmpty()) {
                untagged.add(filter);
                continue;
            }
            List<String> conditions = new ArrayList<>();
            List<String> tags = List.copyOf(filter.tags());
            bindings.add(tags.get(0));
            conditions.add("t.tag = $" + bindings.size());
            conditions.add("t.transaction_id < " + below);
            conditions.add(after("t.", after, bindings));
            if (!filter.after().equals(Position.START)) {
                conditions.add(after("t.", filter.after(), bindings));
            }
            filter.type().ifPresent(type -> equal(conditions, "t.event_type", type, bindings));
            boolean join = tags.size() > 1 || filter.stream().isPresent() || filter.category().isPresent();
            if (tags.size() > 1) {
                bindings.add(tags.toArray(new String[0]));
                conditions.add("e.tags @> $" + bindings.size() + "::text[]");
            }
            filter.stream().ifPresent(stream -> equal(conditions, "e.stream_id", stream.toString(), bindings));
            filter.category().ifPresent(category -> equal(conditions, "e.category", category, bindings));
            branches.add("(SELECT t.transaction_id, t.global_position FROM " + names.table("event_tags") + " t"
                    + (join ? " JOIN " + events + " e ON e.transaction_id = t.transaction_id AND e.global_position = t.global_position" : "")
                    + " WHERE " + String.join(" AND ", conditions)
                    + " ORDER BY t.transaction_id, t.global_position LIMIT $LIMIT)");
        }
        if (!untagged.isEmpty()) {
            StringBuilder where = new StringBuilder("transaction_id < ").append(below).append(" AND ").append(after(after, bindings)).append(" AND (");
            for (int i = 0; i < untagged.size(); i++) {
                where.append(i == 0 ? "(" : " OR (").append(filter(untagged.get(i), bindings)).append(')');
            }
            branches.add("(SELECT transaction_id, global_position FROM " + events + " WHERE " + where
                    + ") ORDER BY transaction_id, global_position LIMIT $LIMIT)");
        }
        bindings.add(limit);
        String limitParam = "$" + bindings.size();
        String keys = "(" + String.join(" UNION ", branches).replace("$LIMIT", limitParam) + ") AS k(ktx, kpos)"
                + " JOIN " + events + " ON transaction_id = k.ktx AND global_position = k.kpos";
        if (horizon != null) {
            return new Sql("SELECT " + COLUMNS + " FROM " + keys + " ORDER BY transaction_id, global_position LIMIT " + limitParam, bindings);
        }
        return new Sql("WITH h AS (SELECT pg_snapshot_xmin(pg_current_snapshot()) AS x)"
                + " SELECT h.x::text::bigint AS horizon, e.* FROM h LEFT JOIN LATERAL (SELECT " + COLUMNS
                + ", transaction_id AS order_tx FROM " + keys
                + " ORDER BY transaction_id, global_position LIMIT " + limitParam + ") e ON true"
                + " ORDER BY e.order_tx, e.global_position", bindings);
    }

    private static String after(Position position, List<Object> bindings) {
        return after("", position, bindings);
    }

    private static String after(String alias, Position position, List<Object> bindings) {
        bindings.add(Long.toString(position.commit()));
        bindings.add(position.sequence());
        return "(" + alias + "transaction_id, " + alias + "global_position) > ($" + (bindings.size() - 1) + "::xid8, $" + bindings.size() + ")";
    }

    private static String filter(EventFilter filter, List<Object> bindings) {
        List<String> conditions = new ArrayList<>();
        filter.type().ifPresent(type -> equal(conditions, "event_type", type, bindings));
        filter.stream().ifPresent(stream -> equal(conditions, "stream_id", stream.toString(), bindings));
        filter.category().ifPresent(category -> equal(conditions, "category", category, bindings));
        if (!filter.after().equals(Position.START)) {
            conditions.add(after(filter.after(), bindings));
        }
        return String.join(" AND ", conditions);
    }

    /** Adds the condition {@code column = $n} with {@code value} bound as {@code $n}. */
    private static void equal(List<String> conditions, String column, Object value, List<Object> bindings) {
        bindings.add(value);
        conditions.add(column + " = $" + bindings.size());
    }
}
