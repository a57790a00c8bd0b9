package io.reactivees.r2dbc;

import java.util.List;

/**
 * The server side of every append: a PL/pgSQL function that commits a batch of appends in one
 * statement, so one round trip and one transaction (and one WAL flush) serve many appends. Each
 * append in the batch keeps its own outcome, returned as rows: conflicts and reused ids are data,
 * never an exception that would fail the neighbours.
 *
 * <p>What it does, in order:
 *
 * <ol>
 *   <li>Takes a transaction-scoped advisory lock per stream of the batch in one sorted acquisition
 *       (by lock key, so crossing batches cannot deadlock); step 8's form takes its events' type and
 *       tag keys in the same acquisition, shared ({@link #lockAll}). Every writer takes these locks before
 *       its first write, and a transaction gets its id at its first write, so a commit's id comes
 *       after every commit it waited for: nothing lands behind a newer commit of its streams, and
 *       no order retry is needed.
 *   <li>Reads the streams' versions (a fresh snapshot: it sees every commit it waited for) and which
 *       of the batch's event ids are stored already.
 *   <li>Decides each append in arrival order against the running versions (so two appends to one
 *       stream in one batch follow each other): {@code stored} when one of its ids is stored (the
 *       client tells an idempotent retry from a duplicate), {@code conflict} with the actual
 *       version, or accepted.
 *   <li>Writes the accepted appends: one upsert of the streams' new versions and one insert of all
 *       their events, and returns an {@code ok} row per entry with its versions and position.
 * </ol>
 *
 * <p>The stream row's {@code last_tx} stamp catches the one case the locks cannot: a caller's
 * transaction that got its id from an earlier write of its own, before a newer commit wrote to the
 * stream. The function raises {@link Errors#WRITTEN_BEHIND} then, and the caller reruns its
 * transaction. It also refuses isolation levels other than READ COMMITTED ({@link
 * Errors#NOT_READ_COMMITTED}): under REPEATABLE READ its reads would not see the commits it waited
 * for.
 *
 * <p>Arguments, all arrays: per entry (a stream of an append; an {@code appendAll} has several, in
 * a row) the entry's append number, its stream slot, its expected version (a version, or
 * {@link #ANY}, {@link #NO_STREAM}, {@link #STREAM_EXISTS}) and its number of events; per slot
 * (distinct stream) the stream id and category; per event its id, entry and type; and the events'
 * payloads as one {@link PayloadDocument} (step 4's first form took data and metadata as two text
 * arrays).
 * Result columns: entry (1-based), outcome ({@code ok}, {@code check}, {@code conflict},
 * {@code stored}), stream id, from version (the actual version for a conflict, the stored version
 * for a stored id), to version, transaction id, global position, event id (for a stored id).
 */
final class AppendFunction {

    static final long ANY = -1;
    static final long NO_STREAM = -2;
    static final long STREAM_EXISTS = -3;

    static final String OK = "ok";
    static final String CHECK = "check";
    static final String CONFLICT = "conflict";
    static final String STORED = "stored";

    private AppendFunction() {}

    /** The key of a stream's advisory lock, as every append of the schema takes it before writing. */
    static String lockKey(SqlNames names, String streamId) {
        return "reactivees.stream:" + names.schema() + ":" + streamId;
    }

    /** The prefix of an event type's advisory lock key (migration step 8); see {@link #lockAll}. */
    static String typeLockPrefix(SqlNames names) {
        return "reactivees.type:" + names.schema() + ":";
    }

    /** The prefix of a tag's advisory lock key (migration step 8); see {@link #lockAll}. */
    static String tagLockPrefix(SqlNames names) {
        return "reactivees.tag:" + names.schema() + ":";
    }

    /**
     * The one sorted lock acquisition of an append from migration step 8 on: its streams' keys
     * exclusive, its events' type and tag keys shared (so that an append condition over them, which
     * takes its keys exclusive, sees the append or is seen by it), and {@code exclusiveKeys} (a query
     * of {@code bigint} keys, or null) exclusive. A key wanted in both modes is taken exclusive. Sorted
     * by key, like the streams' locks before it, so that crossing commits cannot deadlock.
     *
     * @param streams a SQL expression of {@code text[]}: the stream ids
     * @param types a SQL expression of {@code text[]}: the events' types
     * @param tags a SQL expression of {@code text[]}: the events' tags
     */
    static String lockAll(SqlNames names, String streams, String types, String tags, String exclusiveKeys) {
        return "PERFORM CASE WHEN l.ex THEN pg_advisory_xact_lock(l.lk) ELSE pg_advisory_xact_lock_shared(l.lk) END"
                + " FROM (SELECT k.lk, bool_or(k.ex) AS ex FROM ("
                + "SELECT hashtextextended('" + lockKey(names, "") + "' || s.id, 0), true FROM unnest(" + streams + ") AS s(id)"
                + " UNION ALL SELECT hashtextextended('" + typeLockPrefix(names) + "' || t.id, 0), false FROM unnest(" + types + ") AS t(id)"
                + " UNION ALL SELECT hashtextextended('" + tagLockPrefix(names) + "' || g.id, 0), false FROM unnest(" + tags + ") AS g(id)"
                + (exclusiveKeys == null ? "" : " UNION ALL SELECT ck.lk, true FROM (" + exclusiveKeys + ") AS ck(lk)")
                + ") AS k(lk, ex) GROUP BY k.lk ORDER BY k.lk) AS l;\n";
    }

    /**
     * The tags of event {@code x.g}, joined to an unnest of the events: from {@code p_tag_of} (the
     * event of each tag, 1-based) and {@code p_tags}.
     */
    static final String TAG_JOIN = " LEFT JOIN (SELECT t.g, array_agg(t.tag ORDER BY t.tag) AS tags"
            + " FROM unnest(p_tag_of, p_tags) AS t(g, tag) GROUP BY t.g) AS tg ON tg.g = x.g";

    /** The parameters of the entries, the streams and the events, before those of the payloads. */
    static final String ENTRY_PARAMETERS = " p_unit int[], p_slot int[], p_expected bigint[], p_count int[],"
            + " p_streams text[], p_categories text[],"
            + " p_ids uuid[], p_entry int[], p_types text[], ";

    /** The parameters of step 8's function: the entries', then the payload document and the tags. */
    static final String TAGGED_ENTRY_PARAMETERS = ENTRY_PARAMETERS + "p_payloads jsonb, p_tag_of int[], p_tags text[]";

    /**
     * The statement that runs the function (its form of migration step 5, which takes the payloads
     * as one {@link PayloadDocument}): short, so the driver parses little per commit.
     */
    static String call(SqlNames names) {
        return "SELECT * FROM " + names.table("append_batch") + "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";
    }

    /**
     * Migration step 4's statements: the function in its first form, which takes the payloads as
     * two text arrays, and room on stream pages for HOT updates. Kept as released: a library of
     * that version may still be running against the schema while a newer one migrates it.
     */
    static List<String> create(SqlNames names) {
        return List.of("ALTER TABLE " + names.table("streams") + " SET (fillfactor = 70)", function(names, Form.ARRAYS));
    }

    /**
     * Migration step 5's form of the function: the same, over one {@code jsonb} document of the
     * payloads ({@link PayloadDocument}) instead of two text arrays. An overload: the first form
     * stays for libraries of step 4.
     */
    static String createOverPayloadDocument(SqlNames names) {
        return function(names, Form.PAYLOAD_DOCUMENT);
    }

    /**
     * Migration step 8's form of the function: step 5's, taking also the events' tags
     * ({@code p_tag_of int[], p_tags text[]}: per tag, its event's 1-based index and the tag), storing
     * them, and locking the events' types and tags shared beside the streams ({@link #lockAll}). An
     * overload: step 5's form stays for libraries of steps 5 and 6.
     */
    static String createWithTags(SqlNames names) {
        return function(names, Form.TAGS);
    }

    /**
     * Migration step 11: step 8's form, replaced (keeping step 9's generic plans), so that a commit
     * of the set-based kind (each append one entry, each stream in one entry: what a write lane
     * sends) reads the streams once instead of twice. The first read, of the versions and the
     * {@code last_tx} stamps, serves the per-append path and the {@link Errors#WRITTEN_BEHIND}
     * check; that check can only fire in a transaction that already has an id, so a set-based
     * commit in a transaction without one skips the read, and the set-based statement reads the
     * versions itself as before. Measured on the benchmarks' machine: about a tenth less server
     * time for a commit of 16 appends (benchmarks/README.md, eleventh pass).
     */
    static String replaceReadingStreamsOnce(SqlNames names) {
        return function(names, Form.READ_ONCE);
    }

    /**
     * Migration step 9: step 8's {@code append_batch} and {@code append_if} plan their statements
     * once per session and keep the plan ({@code plan_cache_mode = force_generic_plan}).
     *
     * <p>PL/pgSQL hands each statement's parameters to the plan cache, which plans it anew for every
     * call (a custom plan) while that looks cheaper than the generic one. For these functions it
     * always did, so each call planned the whole set-based statement again: in a loop of calls in
     * one session (no network, no WAL flush), a commit of one append cost about 710 µs and of two
     * about 820 µs, against 270 µs and 320 µs with the generic plan; from 64 appends per commit on
     * the two are equal (see benchmarks/README.md). The generic plan cannot see the arrays'
     * lengths, but every lookup in these functions is an index probe ({@code enable_seqscan = off}),
     * so the plan does not depend on them. {@code append_one} does not take the setting: its
     * statements are small, and no difference showed.
     */
    static List<String> genericPlans(SqlNames names) {
        return List.of(
                "ALTER FUNCTION " + names.table("append_batch") + "(" + TAGGED_ENTRY_PARAMETERS + ") SET plan_cache_mode = force_generic_plan",
                "ALTER FUNCTION " + names.table("append_if") + "(" + TAGGED_ENTRY_PARAMETERS + "," + ConditionedAppend.CONDITION_PARAMETERS + ")"
                        + " SET plan_cache_mode = force_generic_plan");
    }

    /** The released forms of the function, each its predecessor's plus one change. */
    private enum Form {
        /** Step 3: data and metadata as text arrays. */
        ARRAYS,
        /** Step 5: over one payload document. */
        PAYLOAD_DOCUMENT,
        /** Step 8: tags, and the type and tag locks. */
        TAGS,
        /** Step 11: step 8's, replaced, reading the streams once in a set-based commit ({@link #replaceReadingStreamsOnce}). */
        READ_ONCE;

        /** Whether event {@code g}'s data and metadata are elements {@code 2g - 2} and {@code 2g - 1} of {@code p_payloads}. */
        boolean document() {
            return this != ARRAYS;
        }

        boolean tags() {
            return compareTo(TAGS) >= 0;
        }

        boolean readOnce() {
            return this == READ_ONCE;
        }
    }

    /**
     * The function's text in one of its released forms. Without a payload document, event {@code g}'s
     * data and metadata are {@code p_data[g]} and {@code p_meta[g]}, cast to {@code jsonb}.
     */
    private static String function(SqlNames names, Form form) {
        boolean document = form.document();
        boolean tags = form.tags();
        boolean readOnce = form.readOnce();
        String streams = names.table("streams");
        String events = names.table("events");
        String lockPrefix = lockKey(names, "");
        String payloadParams = (document ? "p_payloads jsonb" : "p_data text[], p_meta text[]") + (tags ? ", p_tag_of int[], p_tags text[]" : "");
        String tagJoin = tags ? TAG_JOIN : "";
        String tagColumn = tags ? ", tags" : "";
        String tagValue = tags ? ", coalesce(tg.tags, '{}')" : "";
        String lock = tags ? "  " + lockAll(names, "p_streams", "p_types", "p_tags", null)
                : "  PERFORM pg_advisory_xact_lock(l.lk) FROM (SELECT DISTINCT hashtextextended('" + lockPrefix + "' || s.id, 0) AS lk"
                        + " FROM unnest(p_streams) AS s(id) ORDER BY 1) AS l;\n";
        String eventColumns = document ? "unnest(p_ids, p_entry, p_types) WITH ORDINALITY AS x(id, entry, type, g)"
                : "unnest(p_ids, p_entry, p_types, p_data, p_meta) WITH ORDINALITY AS x(id, entry, type, data, meta, g)";
        String payloads = document ? "p_payloads -> (2 * x.g::int - 2), p_payloads -> (2 * x.g::int - 1)" : "x.data::jsonb, x.meta::jsonb";
        String setBased = "n_entries = cardinality(p_streams) AND p_unit[n_entries] = n_entries - 1";
        return (readOnce ? "CREATE OR REPLACE FUNCTION " : "CREATE FUNCTION ") + names.table("append_batch") + "("
                        + ENTRY_PARAMETERS + payloadParams + ")"
                        + " RETURNS TABLE (r_entry int, r_outcome text, r_stream text, r_from bigint, r_to bigint,"
                        + " r_tx bigint, r_pos bigint, r_event uuid)"
                        // Its plans are cached per session, and one made while the tables were empty (a
                        // fresh schema) would keep scanning them whole until the next ANALYZE; every
                        // lookup here has an index, so it never wants a sequential scan.
                        + " LANGUAGE plpgsql VOLATILE SET enable_seqscan = off"
                        // CREATE OR REPLACE sets the function's settings anew: step 9's generic plans with it
                        + (readOnce ? " SET plan_cache_mode = force_generic_plan" : "") + " AS $f$\n"
                        + "DECLARE\n"
                        + "  n_entries int := coalesce(cardinality(p_unit), 0);\n"
                        + "  ver bigint[];\n"
                        + "  orig bigint[];\n"
                        + "  frm bigint[] := array_fill(NULL::bigint, ARRAY[n_entries]);\n"
                        + "  adj bigint[] := array_fill(NULL::bigint, ARRAY[n_entries]);\n"
                        + "  offs bigint[] := array_fill(0::bigint, ARRAY[n_entries]);\n"
                        + "  stored boolean[];\n"
                        + "  behind boolean;\n"
                        + "  wrote boolean := false;\n"
                        + "  i int := 1; j int; k int; u int; v bigint; e bigint; ok boolean;\n"
                        + "  r record;\n"
                        + "BEGIN\n"
                        + "  IF current_setting('transaction_isolation') <> 'read committed' THEN\n"
                        + "    RAISE EXCEPTION 'appends need READ COMMITTED isolation; this transaction is %',"
                        + " current_setting('transaction_isolation') USING ERRCODE = '" + Errors.NOT_READ_COMMITTED + "';\n"
                        + "  END IF;\n"
                        + "  IF n_entries = 0 THEN RETURN; END IF;\n"
                        + lock
                        // the written-behind check needs an id this transaction has already; the set-based statement reads the versions itself
                        + (readOnce ? "  IF pg_current_xact_id_if_assigned() IS NOT NULL OR NOT (" + setBased + ") THEN\n"
                                + readStreams(streams, "    ") + "  END IF;\n" : readStreams(streams, "  "))
                        // the common batch, set-based: each append one entry, each stream in one entry,
                        // so the decisions are independent (no per-append PL/pgSQL steps)
                        + "  IF " + setBased + " THEN\n"
                        + "    RETURN QUERY WITH cur AS (SELECT d.i::int AS slot, coalesce(st.version, -1) AS v"
                        + " FROM unnest(p_streams) WITH ORDINALITY AS d(id, i) LEFT JOIN " + streams + " st ON st.stream_id = d.id),"
                        + " hit AS (SELECT x.entry, ev.event_id, ev.stream_id, ev.stream_version, ev.transaction_id, ev.global_position"
                        + " FROM unnest(p_ids, p_entry) AS x(id, entry) JOIN " + events + " ev ON ev.event_id = x.id),"
                        + " dec AS (SELECT e.k::int AS k, e.slot, e.cnt, greatest(cur.v, 0) AS v,"
                        + " (sum(e.cnt) OVER (ORDER BY e.k) - e.cnt) AS off,"
                        + " (e.ex = " + ANY + " OR (e.ex = " + NO_STREAM + " AND cur.v <= 0) OR (e.ex = " + STREAM_EXISTS + " AND cur.v > 0)"
                        + " OR greatest(cur.v, 0) = e.ex) AS ok,"
                        + " EXISTS (SELECT 1 FROM hit WHERE hit.entry = e.k) AS st"
                        + " FROM unnest(p_slot, p_expected, p_count) WITH ORDINALITY AS e(slot, ex, cnt, k) JOIN cur ON cur.slot = e.slot),"
                        + " acc AS (SELECT * FROM dec WHERE dec.ok AND NOT dec.st AND dec.cnt > 0),"
                        + " up AS (INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx)"
                        + " SELECT p_streams[acc.slot], p_categories[acc.slot], acc.v + acc.cnt, pg_current_xact_id() FROM acc"
                        + " ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, last_tx = EXCLUDED.last_tx),"
                        + " ins AS (INSERT INTO " + events + " (event_id, stream_id, category, stream_version, event_type, data, metadata" + tagColumn + ")"
                        + " SELECT x.id, p_streams[acc.slot], p_categories[acc.slot], acc.v + x.g - acc.off, x.type, " + payloads + tagValue
                        + " FROM " + eventColumns
                        + " JOIN acc ON acc.k = x.entry" + tagJoin + " ORDER BY x.g"
                        + " RETURNING stream_id, stream_version, transaction_id, global_position)"
                        + " SELECT acc.k, '" + OK + "', p_streams[acc.slot], acc.v, acc.v + acc.cnt, ins.transaction_id::text::bigint,"
                        + " ins.global_position, NULL::uuid"
                        + " FROM acc JOIN ins ON ins.stream_id = p_streams[acc.slot] AND ins.stream_version = acc.v + acc.cnt"
                        + " UNION ALL SELECT dec.k, '" + CONFLICT + "', p_streams[dec.slot], dec.v, NULL, NULL, NULL, NULL"
                        + " FROM dec WHERE NOT dec.ok AND NOT dec.st"
                        + " UNION ALL SELECT hit.entry, '" + STORED + "', hit.stream_id, hit.stream_version, NULL,"
                        + " hit.transaction_id::text::bigint, hit.global_position, hit.event_id FROM hit;\n"
                        + "    RETURN;\n"
                        + "  END IF;\n"
                        // otherwise (appendAll entries, a stream twice in the batch) each append in turn
                        + "  orig := ver;\n"
                        + "  stored := array_fill(false, ARRAY[p_unit[n_entries] + 1]);\n"
                        + "  FOR k IN 2..n_entries LOOP offs[k] := offs[k - 1] + p_count[k - 1]; END LOOP;\n"
                        // event ids stored already: the whole append is answered from them
                        + "  FOR r IN SELECT x.entry, ev.event_id, ev.stream_id, ev.stream_version, ev.transaction_id, ev.global_position"
                        + " FROM unnest(p_ids, p_entry) AS x(id, entry) JOIN " + events + " ev ON ev.event_id = x.id LOOP\n"
                        + "    stored[p_unit[r.entry] + 1] := true;\n"
                        + "    r_entry := r.entry; r_outcome := '" + STORED + "'; r_stream := r.stream_id; r_from := r.stream_version;"
                        + " r_to := NULL; r_tx := r.transaction_id::text::bigint; r_pos := r.global_position; r_event := r.event_id;\n"
                        + "    RETURN NEXT;\n"
                        + "  END LOOP;\n"
                        // each append in arrival order, against the running versions
                        + "  WHILE i <= n_entries LOOP\n"
                        + "    u := p_unit[i]; j := i;\n"
                        + "    WHILE j < n_entries AND p_unit[j + 1] = u LOOP j := j + 1; END LOOP;\n"
                        + "    IF NOT stored[u + 1] THEN\n"
                        + "      ok := true;\n"
                        + "      FOR k IN i..j LOOP\n"
                        + "        v := greatest(ver[p_slot[k]], 0); e := p_expected[k];\n"
                        + "        IF NOT (e = " + ANY + " OR (e = " + NO_STREAM + " AND v = 0) OR (e = " + STREAM_EXISTS + " AND v > 0) OR v = e) THEN\n"
                        + "          r_entry := k; r_outcome := '" + CONFLICT + "'; r_stream := p_streams[p_slot[k]]; r_from := v;"
                        + " r_to := NULL; r_tx := NULL; r_pos := NULL; r_event := NULL;\n"
                        + "          RETURN NEXT; ok := false; EXIT;\n"
                        + "        END IF;\n"
                        + "      END LOOP;\n"
                        + "      IF ok THEN\n"
                        + "        FOR k IN i..j LOOP\n"
                        + "          v := greatest(ver[p_slot[k]], 0); frm[k] := v; adj[k] := v - offs[k];\n"
                        + "          IF p_count[k] > 0 THEN ver[p_slot[k]] := v + p_count[k]; wrote := true; END IF;\n"
                        + "        END LOOP;\n"
                        + "      END IF;\n"
                        + "    END IF;\n"
                        + "    i := j + 1;\n"
                        + "  END LOOP;\n"
                        + "  IF wrote THEN\n"
                        + "    INSERT INTO " + streams + " AS s (stream_id, category, version, last_tx)"
                        + " SELECT p_streams[g], p_categories[g], ver[g], pg_current_xact_id() FROM generate_subscripts(p_streams, 1) AS g"
                        + " WHERE ver[g] IS DISTINCT FROM orig[g]"
                        + " ON CONFLICT (stream_id) DO UPDATE SET version = EXCLUDED.version, last_tx = EXCLUDED.last_tx;\n"
                        + "  END IF;\n"
                        // the accepted events, and a row per entry that wrote
                        + "  RETURN QUERY WITH ins AS (INSERT INTO " + events
                        + " (event_id, stream_id, category, stream_version, event_type, data, metadata" + tagColumn + ")"
                        + " SELECT x.id, p_streams[p_slot[x.entry]], p_categories[p_slot[x.entry]], adj[x.entry] + x.g, x.type,"
                        + " " + payloads + tagValue
                        + " FROM " + eventColumns + tagJoin
                        + " WHERE wrote AND adj[x.entry] IS NOT NULL ORDER BY x.g"
                        + " RETURNING stream_id, stream_version, transaction_id, global_position)"
                        + " SELECT w.e, '" + OK + "', p_streams[p_slot[w.e]], frm[w.e], frm[w.e] + p_count[w.e],"
                        + " ins.transaction_id::text::bigint, ins.global_position, NULL::uuid"
                        + " FROM generate_subscripts(p_unit, 1) AS w(e)"
                        + " JOIN ins ON ins.stream_id = p_streams[p_slot[w.e]] AND ins.stream_version = frm[w.e] + p_count[w.e]"
                        + " WHERE adj[w.e] IS NOT NULL AND p_count[w.e] > 0;\n"
                        // checks (of accepted appends, and of stored ones): the stream's last event, by
                        // index, now that this batch's events are in
                        + "  FOR k IN 1..n_entries LOOP\n"
                        + "    IF p_count[k] = 0 AND (adj[k] IS NOT NULL OR stored[p_unit[k] + 1]) THEN\n"
                        + "      v := CASE WHEN adj[k] IS NOT NULL THEN frm[k] ELSE greatest(ver[p_slot[k]], 0) END;\n"
                        + "      r_entry := k; r_outcome := CASE WHEN adj[k] IS NOT NULL THEN '" + OK + "' ELSE '" + CHECK + "' END;"
                        + " r_stream := p_streams[p_slot[k]]; r_from := v; r_to := v; r_event := NULL; r_tx := NULL; r_pos := NULL;\n"
                        + "      SELECT ev.transaction_id::text::bigint, ev.global_position INTO r_tx, r_pos FROM " + events + " ev"
                        + " WHERE ev.stream_id = r_stream AND ev.stream_version = v;\n"
                        + "      RETURN NEXT;\n"
                        + "    END IF;\n"
                        + "  END LOOP;\n"
                        + "END\n"
                        + "$f$";
    }

    /** The read of the streams' versions into {@code ver}, and the written-behind check on their stamps, each line indented by {@code indent}. */
    private static String readStreams(String streams, String indent) {
        return indent + "SELECT array_agg(coalesce(st.version, -1) ORDER BY d.i), bool_or(st.last_tx > pg_current_xact_id_if_assigned())"
                + " INTO ver, behind FROM unnest(p_streams) WITH ORDINALITY AS d(id, i)"
                + " LEFT JOIN " + streams + " st ON st.stream_id = d.id;\n"
                + indent + "IF behind THEN\n"
                + indent + "  RAISE EXCEPTION 'a newer transaction wrote to this stream after this transaction took its id;"
                + " roll back and run the transaction again' USING ERRCODE = '" + Errors.WRITTEN_BEHIND + "';\n"
                + indent + "END IF;\n";
    }
}
