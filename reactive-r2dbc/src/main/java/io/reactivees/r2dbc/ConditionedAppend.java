package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventFilter;
import io.reactivees.core.Position;
import io.reactivees.core.StreamAppend;
import io.reactivees.r2dbc.Database.Sql;
import java.util.ArrayList;
import java.util.List;
import reactor.core.publisher.Mono;

/**
 * An append under an {@link AppendCondition} (the dynamic consistency boundary): one call of the
 * PL/pgSQL function {@code append_if} (migration step 8), alone in its own transaction on a pool
 * connection, not coalesced with the write lanes' commits.
 *
 * <p>What the function does, in order, before its first write:
 *
 * <ol>
 *   <li>Takes every lock of the commit in one sorted acquisition ({@link AppendFunction#lockAll}):
 *       its streams exclusive, its events' types and tags shared (as every append from step 8 on
 *       takes them), and one key per filter of the condition exclusive: the filter's first tag, or
 *       its type when it names no tag. Every event a filter matches carries that tag (or type), so
 *       every writer of such an event holds that key shared: a writer in flight is waited for, and
 *       one that comes later waits for the decider. Deciders whose filters lock other keys never
 *       wait for each other.
 *   <li>When an id of the commit is stored already, answers through {@code append_batch} at once:
 *       the retry of a stored append gets its original result, a reuse is a duplicate; the
 *       condition is not checked (the append's own events would match it).
 *   <li>Checks the condition in a statement of its own, so on a fresh snapshot that sees every
 *       commit it waited for: per filter, the first committed event it matches after its position
 *       (through the {@code event_tags} index for a tagged filter, the type index otherwise). A
 *       match answers a {@code condition} row with that event's position, and nothing is written.
 *   <li>Otherwise commits the append through {@code append_batch} (whose locks are held already),
 *       with its version checks and outcomes.
 * </ol>
 *
 * <p>Why not in the lanes' group commit: a batch would hold the decider's exclusive keys for the
 * whole batch, so every writer of those tags on other lanes would wait for its neighbours too, and
 * conditions would have to be checked against the batch's earlier appends in memory as well. A
 * decision is a read, a fold and a write already; its append taking one round trip of its own
 * keeps the lanes as they are. The locks make the two paths safe against each other.
 */
final class ConditionedAppend {

    /** The outcome row of an append whose condition failed. */
    static final String CONDITION = "condition";

    private final String callText;

    ConditionedAppend(SqlNames names) {
        this.callText = "SELECT * FROM " + names.table("append_if")
                + "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)";
    }

    /**
     * Runs the append on {@code connection} (in autocommit: the call is its transaction).
     *
     * @return a {@code Mono} of the results; it fails with {@link AppendConditionFailedException},
     *     or with the append's own conflict or duplicate, or with the driver's error (untranslated)
     */
    Mono<List<AppendResult>> run(Connection connection, List<StreamAppend> appends, AppendCondition condition) {
        AppendBatch batch = AppendBatch.of(appends);
        return Database.rows(connection, sql(batch, condition), AppendBatch.Row::of).collectList()
                .flatMap(rows -> {
                    for (AppendBatch.Row row : rows) {
                        if (CONDITION.equals(row.outcome())) {
                            return Mono.error(new AppendConditionFailedException(condition, row.position()));
                        }
                    }
                    AppendBatch.Outcome outcome = batch.outcomes(rows).get(0);
                    return outcome.failure() != null ? Mono.error(outcome.failure()) : Mono.just(outcome.results());
                });
    }

    private Sql sql(AppendBatch batch, AppendCondition condition) {
        List<EventFilter> filters = condition.filters();
        int n = filters.size();
        String[] types = new String[n];
        String[] streams = new String[n];
        String[] categories = new String[n];
        Long[] txs = new Long[n];
        Long[] positions = new Long[n];
        List<Integer> tagOf = new ArrayList<>();
        List<String> tags = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            EventFilter filter = filters.get(i);
            // '' for "not restricted": no filter has a blank type, stream or category
            types[i] = filter.type().orElse("");
            streams[i] = filter.stream().map(Object::toString).orElse("");
            categories[i] = filter.category().orElse("");
            Position after = filter.after();
            txs[i] = after.commit();
            positions[i] = after.sequence();
            for (String tag : filter.tags()) {
                tagOf.add(i + 1);
                tags.add(tag);
            }
        }
        List<Object> bindings = new ArrayList<>(batch.sql(callText).bindings());
        bindings.addAll(List.of(types, streams, categories, txs, positions, tagOf.toArray(new Integer[0]), tags.toArray(new String[0])));
        return new Sql(callText, bindings);
    }

    /** The condition's parameters of {@code append_if}, after those of {@link AppendFunction#TAGGED_ENTRY_PARAMETERS}. */
    static final String CONDITION_PARAMETERS =
            " c_type text[], c_stream text[], c_category text[], c_tx bigint[], c_pos bigint[], c_tag_of int[], c_tags text[]";

    /** Migration step 8's function {@code append_if}; see the class comment. */
    static String create(SqlNames names) {
        String events = names.table("events");
        String eventTags = names.table("event_tags");
        String conditionKeys = "SELECT coalesce((SELECT hashtextextended('" + AppendFunction.tagLockPrefix(names) + "' || min(z.tag), 0)"
                + " FROM unnest(c_tag_of, c_tags) AS z(i, tag) WHERE z.i = u.i),"
                + " hashtextextended('" + AppendFunction.typeLockPrefix(names) + "' || u.ty, 0))"
                + " FROM unnest(c_type) WITH ORDINALITY AS u(ty, i)";
        String others = " AND (c.st = '' OR e.stream_id = c.st) AND (c.ca = '' OR e.category = c.ca)";
        return "CREATE FUNCTION " + names.table("append_if") + "("
                + AppendFunction.TAGGED_ENTRY_PARAMETERS + "," + CONDITION_PARAMETERS + ")"
                + " RETURNS TABLE (r_entry int, r_outcome text, r_stream text, r_from bigint, r_to bigint,"
                + " r_tx bigint, r_pos bigint, r_event uuid)"
                // as append_batch: a plan cached while the tables were empty must not scan them whole
                + " LANGUAGE plpgsql VOLATILE SET enable_seqscan = off AS $f$\n"
                + "DECLARE\n"
                + "  c record;\n"
                + "  tg text[];\n"
                + "  m_tx bigint;\n"
                + "  m_pos bigint;\n"
                + "BEGIN\n"
                + "  IF current_setting('transaction_isolation') <> 'read committed' THEN\n"
                + "    RAISE EXCEPTION 'appends need READ COMMITTED isolation; this transaction is %',"
                + " current_setting('transaction_isolation') USING ERRCODE = '" + Errors.NOT_READ_COMMITTED + "';\n"
                + "  END IF;\n"
                + "  " + AppendFunction.lockAll(names, "p_streams", "p_types", "p_tags", conditionKeys)
                + "  IF NOT EXISTS (SELECT 1 FROM " + events + " ev WHERE ev.event_id = ANY (p_ids)) THEN\n"
                + "    FOR c IN SELECT u.i, u.ty, u.st, u.ca, u.tx, u.ps"
                + " FROM unnest(c_type, c_stream, c_category, c_tx, c_pos) WITH ORDINALITY AS u(ty, st, ca, tx, ps, i) LOOP\n"
                + "      tg := ARRAY(SELECT z.tag FROM unnest(c_tag_of, c_tags) AS z(i, tag) WHERE z.i = c.i ORDER BY z.tag);\n"
                + "      IF cardinality(tg) > 0 THEN\n"
                + "        SELECT t.transaction_id::text::bigint, t.global_position INTO m_tx, m_pos FROM " + eventTags + " t"
                + " JOIN " + events + " e ON e.transaction_id = t.transaction_id AND e.global_position = t.global_position"
                + " WHERE t.tag = tg[1] AND (t.transaction_id, t.global_position) > (c.tx::text::xid8, c.ps)"
                + " AND (c.ty = '' OR t.event_type = c.ty) AND e.tags @> tg" + others
                + " ORDER BY t.transaction_id, t.global_position LIMIT 1;\n"
                + "      ELSE\n"
                + "        SELECT e.transaction_id::text::bigint, e.global_position INTO m_tx, m_pos FROM " + events + " e"
                + " WHERE e.event_type = c.ty AND (e.transaction_id, e.global_position) > (c.tx::text::xid8, c.ps)" + others
                + " ORDER BY e.transaction_id, e.global_position LIMIT 1;\n"
                + "      END IF;\n"
                + "      IF m_tx IS NOT NULL THEN\n"
                + "        RETURN QUERY SELECT 0, '" + CONDITION + "'::text, NULL::text, NULL::bigint, NULL::bigint, m_tx, m_pos, NULL::uuid;\n"
                + "        RETURN;\n"
                + "      END IF;\n"
                + "    END LOOP;\n"
                + "  END IF;\n"
                + "  RETURN QUERY SELECT * FROM " + names.table("append_batch") + "(p_unit, p_slot, p_expected, p_count, p_streams,"
                + " p_categories, p_ids, p_entry, p_types, p_payloads, p_tag_of, p_tags);\n"
                + "END\n"
                + "$f$";
    }
}
