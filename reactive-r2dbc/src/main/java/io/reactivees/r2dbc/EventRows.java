package io.reactivees.r2dbc;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.Payloads;
import io.reactivees.r2dbc.Database.Sql;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The SQL that reads events, and the mapping of its rows. Every read orders by
 * {@code (transaction_id, global_position)} and pages by keyset on that pair.
 */
final class EventRows {

    /**
     * The columns of an event row. Their shape is chosen for decoding cost (see benchmarks/README.md,
     * "Load"): the transaction id as {@code bigint} (there is no cast from {@code xid8}, hence the
     * text in between), so the driver reads eight bytes instead of decoding and parsing text; and the
     * time as UTC {@code timestamp}, which the driver decodes directly where a {@code timestamptz}
     * costs it a look-up of the JVM's current zone offset on every row.
     */
    static final String COLUMNS = "event_id, stream_id, stream_version, transaction_id::text::bigint AS tx, global_position,"
            + " event_type, data, metadata, recorded_at AT TIME ZONE 'UTC' AS recorded_utc";

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
                    new Position(row.get(first + 3, Long.class), row.get(first + 4, Long.class)),
                    row.get(first + 5, String.class),
                    row.get(first + 6, Json.class).asArray(),
                    row.get(first + 7, Json.class).asArray(),
                    row.get(first + 8, LocalDateTime.class).toInstant(ZoneOffset.UTC));
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

    private static String after(Position position, List<Object> bindings) {
        bindings.add(Long.toString(position.commit()));
        bindings.add(position.sequence());
        return "(transaction_id, global_position) > ($" + (bindings.size() - 1) + "::xid8, $" + bindings.size() + ")";
    }

    private static String filter(EventFilter filter, List<Object> bindings) {
        List<String> conditions = new ArrayList<>();
        filter.type().ifPresent(type -> {
            bindings.add(type);
            conditions.add("event_type = $" + bindings.size());
        });
        filter.stream().ifPresent(stream -> {
            bindings.add(stream.toString());
            conditions.add("stream_id = $" + bindings.size());
        });
        filter.category().ifPresent(category -> {
            bindings.add(category);
            conditions.add("category = $" + bindings.size());
        });
        if (!filter.after().equals(Position.START)) {
            conditions.add(after(filter.after(), bindings));
        }
        return String.join(" AND ", conditions);
    }
}
