package io.reactivees.r2dbc;

import io.reactivees.core.EventData;
import io.reactivees.core.StreamAppend;
import io.reactivees.r2dbc.Database.Sql;
import java.util.List;
import java.util.UUID;

/**
 * The fast path of a commit that carries one append to one stream (a lone writer: nothing queued
 * behind it): a PL/pgSQL function {@code append_one} (migration step 5) that does only what the
 * common case needs, in as few statements as it can. It takes the stream's lock first (so the lock
 * comes before the first write, as in {@link AppendFunction}), checks that no id is stored, claims
 * the versions with the one statement the expected version calls for, and inserts the events.
 *
 * <p>When the claim finds nothing (a conflict), or an id is stored already (a retry or a duplicate),
 * it has written nothing and answers through {@code append_batch} in the same call, which tells a
 * conflict (with the actual version) from a retry or a duplicate. Either way the rows are those of
 * {@link AppendFunction} and one round trip answers the append.
 *
 * <p>Why a function rather than the statement's text: r2dbc-postgresql parses the text of every
 * statement it creates, and the fast path's statement (a lock, a claim and an insert in CTEs) was
 * a thousand characters long; parsing it was most of the client's CPU on a lone append. The call's
 * text is short.
 */
final class LoneAppend {

    private final String callText;

    LoneAppend(SqlNames names) {
        this.callText = "SELECT * FROM " + names.table("append_one") + "($1, $2, $3, $4, $5, $6, $7, $8)";
    }

    /** Whether {@code append} can take the fast path: one stream, with events. */
    static boolean fits(List<StreamAppend> append) {
        return append.size() == 1 && !append.get(0).isCheckOnly();
    }

    /** The call for one append; its rows are {@link AppendFunction}'s, read by {@link AppendBatch#outcomes}. */
    Sql sql(StreamAppend append) {
        List<EventData> events = append.events();
        int n = events.size();
        UUID[] ids = new UUID[n];
        String[] types = new String[n];
        for (int i = 0; i < n; i++) {
            EventData e = events.get(i);
            ids[i] = e.eventId();
            types[i] = e.type();
        }
        EventTags tags = EventTags.of(List.of(append));
        return new Sql(callText, List.of(append.streamId().toString(), append.streamId().category(),
                AppendBatch.expected(append.expected()), ids, types, PayloadDocument.of(List.of(append)), tags.eventOf(), tags.tags()));
    }

    /** Migration step 5's statements: the batch function over a payload document, and this one. */
    static List<String> create(SqlNames names) {
        return List.of(AppendFunction.createOverPayloadDocument(names), function(names, Form.PAYLOAD_DOCUMENT));
    }

    /**
     * Migration step 8's form of the function: step 5's, taking also the events' tags (as
     * {@link AppendFunction#createWithTags} does), storing them, and taking the stream's lock together
     * with the events' type and tag locks in one sorted acquisition. An overload: step 5's form stays.
     */
    static String createWithTags(SqlNames names) {
        return function(names, Form.TAGS);
    }

    /**
     * Migration step 10's form of the function: step 8's, replaced, with two forks for the commonest
     * append of all, one event without tags. It takes the stream's lock and the type's (the same keys,
     * in the same sorted order, as {@link AppendFunction#lockAll}) as two plain calls instead of the
     * lock query, and inserts one row with {@code VALUES} instead of the insert over the events and
     * their tags. The checks and the claim are step 8's. Measured on the benchmarks' machine: about a
     * fifth less server time per lone append.
     */
    static String createSingleEvent(SqlNames names) {
        return function(names, Form.SINGLE_EVENT);
    }

    /** The function's form in each step that creates it. */
    private enum Form {
        /** Step 5: no tags. */
        PAYLOAD_DOCUMENT,
        /** Step 8: tags, and the type and tag locks. */
        TAGS,
        /** Step 10: step 8's, with forks for one untagged event. */
        SINGLE_EVENT;

        boolean tags() {
            return this != PAYLOAD_DOCUMENT;
        }
    }

    /** Step 10's locks of one untagged event: its stream's key exclusive and its type's shared, sorted by key. */
    private static String singleEventLocks(SqlNames names) {
        return "      ks := hashtextextended('" + AppendFunction.lockKey(names, "") + "' || p_stream, 0);\n"
                + "      kt := hashtextextended('" + AppendFunction.typeLockPrefix(names) + "' || p_types[1], 0);\n"
                // sorted by key, as lockAll takes them; one key for both is taken exclusive only
                + "      IF kt < ks THEN PERFORM pg_advisory_xact_lock_shared(kt); END IF;\n"
                + "      PERFORM pg_advisory_xact_lock(ks);\n"
                + "      IF kt > ks THEN PERFORM pg_advisory_xact_lock_shared(kt); END IF;\n";
    }

    /** Step 10's insert of one untagged event, claimed at {@code v + 1}, and its answer. */
    private static String singleEventInsert(SqlNames names) {
        return "        IF one THEN\n"
                + "          INSERT INTO " + names.table("events") + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                + " VALUES (p_ids[1], p_stream, p_category, v + 1, p_types[1], p_payloads -> 0, p_payloads -> 1)"
                + " RETURNING global_position INTO r_pos;\n"
                + "          r_entry := 1; r_outcome := '" + AppendFunction.OK + "'; r_stream := p_stream; r_from := v; r_to := v + 1;"
                + " r_tx := pg_current_xact_id()::text::bigint; r_event := NULL;\n"
                + "          RETURN NEXT;\n"
                + "          RETURN;\n"
                + "        END IF;\n";
    }

    private static String function(SqlNames names, Form form) {
        boolean tags = form.tags();
        boolean singleEvent = form == Form.SINGLE_EVENT;
        String lockAll = AppendFunction.lockAll(names, "ARRAY[p_stream]", "p_types", "p_tags", null);
        String streams = names.table("streams");
        String events = names.table("events");
        String claimed = " RETURNING s.version - n INTO v;\n";
        return (singleEvent ? "CREATE OR REPLACE FUNCTION " : "CREATE FUNCTION ") + names.table("append_one") + "("
                + " p_stream text, p_category text, p_expected bigint, p_ids uuid[], p_types text[], p_payloads jsonb"
                + (tags ? ", p_tag_of int[], p_tags text[]" : "") + ")"
                + " RETURNS TABLE (r_entry int, r_outcome text, r_stream text, r_from bigint, r_to bigint,"
                + " r_tx bigint, r_pos bigint, r_event uuid)"
                // as append_batch: a plan cached while the tables were empty must not scan them whole
                + " LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $f$\n"
                + "DECLARE\n"
                + "  n int := coalesce(cardinality(p_ids), 0);\n"
                + "  v bigint;\n"
                + (singleEvent ? "  one boolean := n = 1 AND coalesce(cardinality(p_tags), 0) = 0;\n  ks bigint;\n  kt bigint;\n" : "")
                + "BEGIN\n"
                // only a fresh transaction of READ COMMITTED (what a lane runs) takes the fast path;
                // append_batch checks and answers everything else
                + "  IF n > 0 AND pg_current_xact_id_if_assigned() IS NULL"
                + " AND current_setting('transaction_isolation') = 'read committed' THEN\n"
                + (singleEvent ? "    IF one THEN\n" + singleEventLocks(names) + "    ELSE\n      " + lockAll + "    END IF;\n"
                        : tags ? "    " + lockAll
                        : "    PERFORM pg_advisory_xact_lock(hashtextextended('" + AppendFunction.lockKey(names, "") + "' || p_stream, 0));\n")
                + "    IF NOT EXISTS (SELECT 1 FROM " + events + " ev WHERE ev.event_id = ANY (p_ids)) THEN\n"
                + "      IF p_expected > 0 THEN\n"
                + "        UPDATE " + streams + " s SET version = s.version + n, last_tx = pg_current_xact_id()"
                + " WHERE s.stream_id = p_stream AND s.version = p_expected" + claimed
                + "      ELSIF p_expected = 0 OR p_expected = " + AppendFunction.NO_STREAM + " THEN\n"
                + "        INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx)"
                + " VALUES (p_stream, p_category, n, pg_current_xact_id()) ON CONFLICT (stream_id) DO NOTHING"
                + " RETURNING 0::bigint INTO v;\n"
                + "      ELSIF p_expected = " + AppendFunction.STREAM_EXISTS + " THEN\n"
                + "        UPDATE " + streams + " s SET version = s.version + n, last_tx = pg_current_xact_id()"
                + " WHERE s.stream_id = p_stream AND s.version > 0" + claimed
                + "      ELSE\n"
                + "        INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx)"
                + " VALUES (p_stream, p_category, n, pg_current_xact_id())"
                + " ON CONFLICT (stream_id) DO UPDATE SET version = s.version + EXCLUDED.version, last_tx = EXCLUDED.last_tx"
                + claimed
                + "      END IF;\n"
                + "      IF v IS NOT NULL THEN\n"
                + (singleEvent ? singleEventInsert(names) : "")
                + "        RETURN QUERY WITH ins AS (INSERT INTO " + events
                + " (event_id, stream_id, category, stream_version, event_type, data, metadata" + (tags ? ", tags" : "") + ")"
                + " SELECT x.id, p_stream, p_category, v + x.g, x.type, p_payloads -> (2 * x.g::int - 2), p_payloads -> (2 * x.g::int - 1)"
                + (tags ? ", coalesce(tg.tags, '{}')" : "")
                + " FROM unnest(p_ids, p_types) WITH ORDINALITY AS x(id, type, g)" + (tags ? AppendFunction.TAG_JOIN : "") + " ORDER BY x.g"
                + " RETURNING global_position)"
                + " SELECT 1, '" + AppendFunction.OK + "'::text, p_stream, v, v + n, pg_current_xact_id()::text::bigint,"
                + " max(ins.global_position), NULL::uuid FROM ins;\n"
                + "        RETURN;\n"
                + "      END IF;\n"
                + "    END IF;\n"
                + "  END IF;\n"
                // a conflict, a stored id, or a transaction the fast path does not serve: nothing was
                // written; the batch function answers it
                + "  RETURN QUERY SELECT * FROM " + names.table("append_batch") + "(ARRAY[0], ARRAY[1], ARRAY[p_expected],"
                + " ARRAY[n], ARRAY[p_stream], ARRAY[p_category], p_ids, array_fill(1, ARRAY[n]), p_types, p_payloads"
                + (tags ? ", p_tag_of, p_tags" : "") + ");\n"
                + "END\n"
                + "$f$";
    }
}
