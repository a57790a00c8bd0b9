package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.reactivees.core.RecordedEvent;
import io.reactivees.r2dbc.Database.Sql;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import reactor.core.publisher.Mono;

/**
 * The read model of the projection tests: a table {@code applied} in the store's schema with one row
 * per application of an event (its id, its stream, its position and the runner that applied it), and
 * the checks on it: how often each event of {@code load()} was applied, and in which order each
 * stream's events were.
 */
final class AppliedReadModel {

    private final StoreOnSchema on;
    private final String table;

    AppliedReadModel(StoreOnSchema on) {
        this.on = on;
        this.table = on.table("applied");
        PostgresTestDatabase.execute("CREATE TABLE IF NOT EXISTS " + table + " (n bigint GENERATED ALWAYS AS IDENTITY,"
                + " event_id uuid NOT NULL, stream_id text NOT NULL, position text NOT NULL, runner text NOT NULL)");
    }

    /** Records one application of {@code event} by {@code runner} through {@code connection} (in the projection's transaction). */
    Mono<Void> record(RecordedEvent event, Connection connection, String runner) {
        return Database.run(connection, Sql.of("INSERT INTO " + table + " (event_id, stream_id, position, runner) VALUES ($1, $2, $3, $4)",
                event.eventId(), event.streamId().toString(), event.position().toString(), runner));
    }

    /** Records one application on a connection of its own (an at-least-once handler). */
    Mono<Void> record(RecordedEvent event, String runner) {
        return on.store.database().withConnection(connection -> record(event, connection, runner));
    }

    /** Empties the read model through {@code connection}. */
    Mono<Void> reset(Connection connection) {
        return Database.run(connection, Sql.of("DELETE FROM " + table));
    }

    /** How often each event id was applied. */
    Map<UUID, Long> applications() {
        return PgTestSupport.queryAsync("SELECT event_id, count(*) AS n FROM " + table + " GROUP BY event_id")
                .map(rows -> {
                    Map<UUID, Long> counts = new HashMap<>();
                    rows.forEach(row -> counts.put((UUID) row.get("event_id"), (Long) row.get("n")));
                    return counts;
                })
                .block(TIMEOUT);
    }

    /** How many applications there were in all. */
    long total() {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM " + table).block(TIMEOUT).get(0).get("n");
    }

    /** Waits until every event of the log was applied at least once; returns the log. */
    List<RecordedEvent> awaitAllApplied() {
        List<RecordedEvent> log = on.loadAll();
        Set<UUID> expected = new HashSet<>(PgTestSupport.ids(log));
        PgTestSupport.await("the read model caught up with the " + log.size() + " events of the log", () ->
                PgTestSupport.queryAsync("SELECT count(DISTINCT event_id) AS n FROM " + table).map(rows -> (Long) rows.get(0).get("n") >= expected.size()));
        assertEquals(expected, applications().keySet(), "the read model holds exactly the events of load()");
        return log;
    }

    /** Waits until every event of the log was applied, and asserts each exactly once. */
    List<RecordedEvent> assertEachEventAppliedExactlyOnce() {
        List<RecordedEvent> log = awaitAllApplied();
        applications().forEach((id, n) -> assertEquals(1L, n, "event " + id + " applied " + n + " times"));
        return log;
    }

    /** Asserts that within each stream, the first applications of its events came in the stream's order. */
    void assertStreamOrderKept() {
        List<Map<String, Object>> rows = PgTestSupport.queryAsync("SELECT stream_id, position, min(n) AS first FROM " + table
                + " GROUP BY stream_id, position ORDER BY stream_id, first").block(TIMEOUT);
        Map<String, String> last = new HashMap<>();
        for (Map<String, Object> row : rows) {
            String stream = (String) row.get("stream_id");
            String position = (String) row.get("position");
            String before = last.put(stream, position);
            assertTrue(before == null || io.reactivees.core.Position.parse(before).compareTo(io.reactivees.core.Position.parse(position)) < 0,
                    "stream " + stream + " applied " + position + " after " + before);
        }
    }
}
