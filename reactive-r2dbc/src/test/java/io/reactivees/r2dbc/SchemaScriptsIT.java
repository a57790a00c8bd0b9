package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A team that migrates with its own tool runs {@link PostgresSchemaMigrator#script}'s scripts (the
 * ones shipped as resources are those of the default schema; see {@link SchemaScriptsTest}): the
 * store then works on the schema, and {@code migrate()} finds nothing left to do.
 */
class SchemaScriptsIT {

    private PostgresEventStore store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close().block(TIMEOUT);
        }
    }

    @Test
    void aSchemaMigratedByTheScriptsServesTheStoreAndMigrateHasNothingLeftToDo() {
        String schema = PostgresTestDatabase.newSchema();
        PostgresSchemaMigrator migrator = new PostgresSchemaMigrator(PostgresTestDatabase.connectionFactory(), schema);
        for (int version = 1; version <= PostgresSchemaMigrator.latestVersion(); version++) {
            PostgresTestDatabase.execute("BEGIN;\n" + migrator.script(version) + "COMMIT;\n"); // one transaction, as a tool runs it
        }
        String migrations = new SqlNames(schema).table("schema_migrations");
        try (PgTestSupport.RawSession sql = new PgTestSupport.RawSession()) {
            assertEquals((long) PostgresSchemaMigrator.latestVersion(), sql.value("SELECT count(*) FROM " + migrations));
        }

        store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 2).build())
                .build();
        store.migrate().block(TIMEOUT);
        try (PgTestSupport.RawSession sql = new PgTestSupport.RawSession()) {
            assertEquals((long) PostgresSchemaMigrator.latestVersion(), sql.value("SELECT count(*) FROM " + migrations), "nothing left to do");
        }

        StreamId seat = StreamId.of("seat", "12A");
        store.append(seat, ExpectedVersion.noStream(), List.of(EventData.of("seat.booked", "{}").withTags("seat:12A"))).block(TIMEOUT);
        List<RecordedEvent> tagged = store.load(EventQuery.of(EventFilter.forTags("seat:12A"))).collectList().block(TIMEOUT);
        assertEquals(1, tagged.size());
        assertEquals(seat, tagged.get(0).streamId());
    }
}
