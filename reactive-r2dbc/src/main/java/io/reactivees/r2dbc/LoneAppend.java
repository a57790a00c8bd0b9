package io.reactivees.r2dbc;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.StreamAppend;
import io.reactivees.r2dbc.Database.Sql;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The fast path of a commit that carries one append to one stream (a lone writer: nothing queued
 * behind it): one plain statement, without the PL/pgSQL function's per-statement overhead, which
 * on a lone append is a large part of the server's work. It takes the stream's lock first (a CTE
 * the claim reads, so the lock comes before the first write), claims the versions and inserts the
 * events.
 *
 * <p>It answers only the common case: the claim succeeded and every id was new. When the claim finds
 * nothing (a conflict, or a stream that a commit it waited for changed since its snapshot) it
 * returns no row, and when an id is stored it fails with a unique violation; either way nothing was
 * written, and the caller runs the append through {@link AppendFunction}, which tells a conflict
 * (with the actual version) from a retry or a duplicate.
 */
final class LoneAppend {

    private final SqlNames names;
    private final Map<Claim, String> statements = new EnumMap<>(Claim.class);

    LoneAppend(SqlNames names) {
        this.names = names;
        for (Claim claim : Claim.values()) {
            statements.put(claim, statement(names, claim));
        }
    }

    /** Whether {@code append} can take the fast path: one stream, with events. */
    static boolean fits(List<StreamAppend> append) {
        return append.size() == 1 && !append.get(0).isCheckOnly();
    }

    /** The statement for one append; its single row is {@code from_version, to_version, tx, pos}. */
    Sql sql(StreamAppend append) {
        List<EventData> events = append.events();
        int n = events.size();
        String[] ids = new String[n];
        String[] types = new String[n];
        String[] data = new String[n];
        String[] metadata = new String[n];
        for (int i = 0; i < n; i++) {
            EventData e = events.get(i);
            ids[i] = e.eventId().toString();
            types[i] = e.type();
            data[i] = e.dataAsString();
            metadata[i] = e.metadataAsString();
        }
        String stream = append.streamId().toString();
        List<Object> bindings = new ArrayList<>(List.of(AppendFunction.lockKey(names, stream), stream,
                append.streamId().category(), (long) n, ids, types, data, metadata));
        if (append.expected() instanceof ExpectedVersion.Exact exact && exact.version() > 0) {
            bindings.add(exact.version());
        }
        return new Sql(statements.get(Claim.of(append.expected())), bindings);
    }

    /** The result of the statement's row. */
    static AppendResult result(StreamAppend append, long from, long to, long tx, long pos) {
        return new AppendResult(append.streamId(), from, to, new Position(tx, pos));
    }

    /** How the claim meets the expected version. */
    private enum Claim {
        EXACT, NEW, EXISTS, ANY;

        static Claim of(ExpectedVersion expected) {
            if (expected instanceof ExpectedVersion.Exact exact) {
                return exact.version() > 0 ? EXACT : NEW;
            }
            return expected == ExpectedVersion.noStream() ? NEW : expected == ExpectedVersion.streamExists() ? EXISTS : ANY;
        }
    }

    /**
     * {@code $1} lock key, {@code $2} stream id, {@code $3} category, {@code $4} event count,
     * {@code $5..$8} ids, types, data, metadata; {@code $9} the expected version of an exact claim.
     */
    private static String statement(SqlNames names, Claim claim) {
        String streams = names.table("streams");
        String claimSql = switch (claim) {
            case EXACT -> "UPDATE " + streams + " s SET version = s.version + $4, last_tx = pg_current_xact_id() FROM lk"
                    + " WHERE s.stream_id = $2 AND s.version = $9 RETURNING s.version - $4 AS from_version";
            case NEW -> "INSERT INTO " + streams + " (stream_id, category, version, last_tx)"
                    + " SELECT $2, $3, $4, pg_current_xact_id() FROM lk ON CONFLICT (stream_id) DO NOTHING RETURNING 0::bigint AS from_version";
            case EXISTS -> "UPDATE " + streams + " s SET version = s.version + $4, last_tx = pg_current_xact_id() FROM lk"
                    + " WHERE s.stream_id = $2 RETURNING s.version - $4 AS from_version";
            case ANY -> "INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx)"
                    + " SELECT $2, $3, $4, pg_current_xact_id() FROM lk"
                    + " ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, last_tx = EXCLUDED.last_tx"
                    + " RETURNING s.version - $4 AS from_version";
        };
        // lk is an aggregate, so it has taken the lock before it yields the row the claim writes with
        return "WITH lk AS (SELECT count(pg_advisory_xact_lock(hashtextextended($1, 0))) AS locked),"
                + " claim AS (" + claimSql + "),"
                + " ins AS (INSERT INTO " + names.table("events")
                + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                + " SELECT e.id::uuid, $2, $3, claim.from_version + e.ord, e.type, e.data::jsonb, e.meta::jsonb"
                + " FROM claim, unnest($5::text[], $6::text[], $7::text[], $8::text[]) WITH ORDINALITY AS e(id, type, data, meta, ord)"
                + " RETURNING stream_version, global_position)"
                + " SELECT min(stream_version) - 1 AS from_version, max(stream_version) AS to_version,"
                + " pg_current_xact_id()::text::bigint AS tx, max(global_position) AS pos"
                + " FROM ins HAVING count(*) > 0";
    }
}
