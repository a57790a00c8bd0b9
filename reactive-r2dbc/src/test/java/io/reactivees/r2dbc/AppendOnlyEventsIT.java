package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.postgresql.api.PostgresqlException;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The events table is append-only for everyone, not only for the store: plain SQL that would change
 * or remove history is refused by the database, and the rows stay as they were.
 */
class AppendOnlyEventsIT {

    private StoreOnSchema on;
    private RawSession sql;
    private List<RecordedEvent> before;

    @BeforeEach
    void storeWithHistory() {
        on = PgTestSupport.newStore(options -> options);
        StreamId stream = StreamId.of("account", "1");
        on.store.append(stream, ExpectedVersion.noStream(),
                List.of(EventData.of("opened", "{\"owner\":\"ann\"}"), EventData.of("deposited", "{\"amount\":10}")))
                .block(TIMEOUT);
        before = on.loadAll();
        sql = new RawSession();
    }

    @AfterEach
    void cleanUp() {
        sql.close();
        on.close();
    }

    @Test
    void updateIsRejectedAndRowsStayUnchanged() {
        Throwable error = sql.failure("UPDATE " + on.table("events") + " SET data = '{\"amount\":1000000}'::jsonb WHERE event_type = 'deposited'");

        assertAppendOnlyViolation(error, "UPDATE");
        assertHistoryUnchanged();
    }

    @Test
    void updateOfEveryRowIsRejected() {
        Throwable error = sql.failure("UPDATE " + on.table("events") + " SET stream_version = stream_version + 100");

        assertAppendOnlyViolation(error, "UPDATE");
        assertHistoryUnchanged();
    }

    @Test
    void deleteIsRejectedAndRowsStayUnchanged() {
        Throwable error = sql.failure("DELETE FROM " + on.table("events") + " WHERE event_type = 'opened'");

        assertAppendOnlyViolation(error, "DELETE");
        assertHistoryUnchanged();
    }

    @Test
    void truncateIsRejectedAndRowsStayUnchanged() {
        Throwable error = sql.failure("TRUNCATE " + on.table("events"));

        assertAppendOnlyViolation(error, "TRUNCATE");
        assertHistoryUnchanged();
    }

    @Test
    void rejectionInsideATransactionLeavesTheRowsAfterRollback() {
        sql.begin();
        Throwable error = sql.failure("DELETE FROM " + on.table("events"));
        sql.rollback();

        assertAppendOnlyViolation(error, "DELETE");
        assertHistoryUnchanged();
    }

    @Test
    void theStoreStillAppendsAfterRejections() {
        sql.failure("TRUNCATE " + on.table("events"));

        on.store.append(StreamId.of("account", "1"), ExpectedVersion.exact(2), List.of(EventData.of("withdrawn", "{\"amount\":5}")))
                .block(TIMEOUT);

        List<RecordedEvent> after = on.loadAll();
        assertEquals(3, after.size());
        assertEquals(before, after.subList(0, 2));
    }

    private static void assertAppendOnlyViolation(Throwable error, String operation) {
        assertTrue(error instanceof PostgresqlException, "a database error, got " + error);
        PostgresqlException pg = (PostgresqlException) error;
        assertEquals("23001", pg.getErrorDetails().getCode(), "SQLSTATE restrict_violation");
        assertTrue(pg.getErrorDetails().getMessage().contains("append-only"), pg.getErrorDetails().getMessage());
        assertTrue(pg.getErrorDetails().getMessage().contains(operation), pg.getErrorDetails().getMessage());
    }

    private void assertHistoryUnchanged() {
        assertEquals(before, on.loadAll());
        List<Map<String, Object>> rows = sql.query("SELECT event_type, data::text AS data, stream_version FROM "
                + on.table("events") + " ORDER BY global_position");
        assertEquals(List.of(
                Map.of("event_type", "opened", "data", "{\"owner\": \"ann\"}", "stream_version", 1L),
                Map.of("event_type", "deposited", "data", "{\"amount\": 10}", "stream_version", 2L)), rows);
    }
}
