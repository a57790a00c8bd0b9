package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Schema changes keep what is stored: a database populated by an earlier library version (its
 * schema built by the migration steps up to that version, its rows written with plain SQL as that
 * version wrote them) is upgraded by {@code migrate()} to {@link PostgresSchemaMigrator#LATEST_VERSION},
 * and then reads the same (events, positions, stream versions, checkpoints, snapshots) and takes new
 * appends at the right versions. Nothing here depends on what the later steps contain, so the test
 * holds as steps are added.
 *
 * <p>And {@code migrate()} refuses a schema newer than it knows, changing nothing.
 */
class SchemaUpgradeIT {

    private final String schema = PostgresTestDatabase.newSchema();
    private final SqlNames names = new SqlNames(schema);
    private final PostgresSchemaMigrator migrator = new PostgresSchemaMigrator(PostgresTestDatabase.connectionFactory(), schema);
    private final List<PostgresEventStore> stores = new ArrayList<>();

    @AfterEach
    void dropSchema() {
        try {
            stores.forEach(store -> store.close().block(TIMEOUT));
        } finally {
            PostgresTestDatabase.dropSchema(schema);
        }
    }

    private PostgresEventStore store() {
        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 2).build())
                .build();
        stores.add(store);
        return store;
    }

    // ------------------------------------------------------------------ upgrade

    /** An event as the database holds it, and as the store reads it back. */
    private record Stored(UUID eventId, String streamId, long version, Position position, String type,
                          String data, String metadata, Instant recordedAt) {

        static Stored of(RecordedEvent event) {
            return new Stored(event.eventId(), event.streamId().toString(), event.streamVersion(), event.position(),
                    event.type(), event.dataAsString(), event.metadataAsString(), event.recordedAt());
        }
    }

    /** An event row as the earlier library inserted it. */
    private record Raw(String streamId, long version, String type, String data, String metadata) {}

    /**
     * Writes one commit as a library of schema version {@code version} did: the stream rows claimed
     * (with {@code last_tx} from version 3 on), then the events, in one transaction.
     */
    private void commit(RawSession sql, int version, Map<String, long[]> streams, List<Raw> events) {
        sql.begin();
        for (Map.Entry<String, long[]> stream : streams.entrySet()) {
            String category = stream.getKey().substring(0, stream.getKey().indexOf('-'));
            long from = stream.getValue()[0];
            long to = stream.getValue()[1];
            String lastTx = version >= 3 ? ", last_tx" : "";
            String lastTxValue = version >= 3 ? ", pg_current_xact_id()" : "";
            if (from == 0) {
                sql.update("INSERT INTO " + names.table("streams") + " (stream_id, category, version" + lastTx + ")"
                        + " VALUES ($1, $2, $3" + lastTxValue + ")", stream.getKey(), category, to);
            } else {
                sql.update("UPDATE " + names.table("streams") + " SET version = $2" + (version >= 3 ? ", last_tx = pg_current_xact_id()" : "")
                        + " WHERE stream_id = $1 AND version = $3", stream.getKey(), to, from);
            }
        }
        for (Raw event : events) {
            sql.update("INSERT INTO " + names.table("events")
                            + " (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                            + " VALUES ($1::uuid, $2, $3, $4, $5, $6::jsonb, $7::jsonb)",
                    UUID.randomUUID().toString(), event.streamId(), event.streamId().substring(0, event.streamId().indexOf('-')),
                    event.version(), event.type(), event.data(), event.metadata());
        }
        sql.commit();
    }

    private List<Stored> storedEvents(RawSession sql) {
        return sql.query("SELECT event_id, stream_id, stream_version, transaction_id::text AS tx, global_position,"
                        + " event_type, data::text AS data, metadata::text AS metadata, recorded_at FROM " + names.table("events")
                        + " ORDER BY transaction_id, global_position")
                .stream()
                .map(row -> new Stored((UUID) row.get("event_id"), (String) row.get("stream_id"), (Long) row.get("stream_version"),
                        new Position(Long.parseLong((String) row.get("tx")), (Long) row.get("global_position")),
                        (String) row.get("event_type"), (String) row.get("data"), (String) row.get("metadata"),
                        instant(row.get("recorded_at"))))
                .toList();
    }

    private static Instant instant(Object timestamp) {
        return timestamp instanceof OffsetDateTime offset ? offset.toInstant() : (Instant) timestamp;
    }

    /** Waits until the read horizon has passed every event of the schema, so a load sees them all. */
    private void awaitSettled() {
        PgTestSupport.await("the read horizon passed every event of schema " + schema, () -> PgTestSupport.queryAsync(
                        "SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce(max(transaction_id), '0'::xid8) AS settled FROM "
                                + names.table("events"))
                .map(rows -> (Boolean) rows.get(0).get("settled")));
    }

    private static List<Stored> stored(List<RecordedEvent> events) {
        return events.stream().map(Stored::of).toList();
    }

    private static StreamId stream(String id) {
        return StreamId.parse(id);
    }

    /**
     * Versions 1 to 3 are the schemas of earlier libraries (3 was the last step when this test was
     * written); each is upgraded to the latest. Versions 1 and 2 wrote the same rows (2 added a
     * function); 3 added {@code streams.last_tx}.
     */
    @ParameterizedTest(name = "from schema version {0}")
    @ValueSource(ints = {1, 2, 3})
    void aPopulatedSchemaUpgradesToTheLatestVersionAndReadsAndAppendsAsBefore(int from) {
        migrator.migrate(from).block(TIMEOUT);
        List<Stored> before;
        Map<String, Long> versions = new LinkedHashMap<>();
        Position checkpoint;
        try (RawSession sql = new RawSession()) {
            assertEquals(from, sql.value("SELECT max(version) FROM " + names.table("schema_migrations")));
            commit(sql, from, Map.of("order-1", new long[] {0, 2}), List.of(
                    new Raw("order-1", 1, "order.placed", "{\"total\": 120, \"lines\": [{\"sku\": \"a\", \"qty\": 2}]}", "{}"),
                    new Raw("order-1", 2, "order.paid", "{\"amount\": 120}", "{\"correlationId\": \"c-1\"}")));
            // a multi-stream commit, as appendAll wrote it
            commit(sql, from, new LinkedHashMap<>(Map.of("account-7", new long[] {0, 3}, "order-2", new long[] {0, 1})), List.of(
                    new Raw("account-7", 1, "account.opened", "{\"owner\": \"ada\"}", "{}"),
                    new Raw("account-7", 2, "account.deposited", "{\"amount\": 5}", "{}"),
                    new Raw("order-2", 1, "order.placed", "{\"total\": 7}", "{\"user\": \"ada\"}"),
                    new Raw("account-7", 3, "account.withdrawn", "{\"amount\": 1}", "{}")));
            commit(sql, from, Map.of("order-1", new long[] {2, 3}), List.of(
                    new Raw("order-1", 3, "order.shipped", "{\"carrier\": \"ü-post\"}", "{}")));
            before = storedEvents(sql);
            for (Map<String, Object> row : sql.query("SELECT stream_id, version FROM " + names.table("streams"))) {
                versions.put((String) row.get("stream_id"), (Long) row.get("version"));
            }
            checkpoint = before.get(3).position();
            sql.update("INSERT INTO " + names.table("checkpoints") + " (name, position) VALUES ($1, $2), ($3, $4)",
                    "orders", checkpoint.toString(), "fresh", Position.START.toString());
            sql.update("INSERT INTO " + names.table("snapshots") + " (stream_id, snapshot_type, stream_version, schema_version, data)"
                    + " VALUES ($1, $2, $3, $4, $5::jsonb)", "order-1", "order", 2L, 1, "{\"total\": 120, \"paid\": true}");
        }
        assertEquals(7, before.size());
        assertEquals(Map.of("order-1", 3L, "account-7", 3L, "order-2", 1L), versions);

        migrator.migrate().block(TIMEOUT);

        try (RawSession sql = new RawSession()) {
            assertEquals(PostgresSchemaMigrator.LATEST_VERSION, sql.value("SELECT max(version) FROM " + names.table("schema_migrations")));
            assertEquals((long) PostgresSchemaMigrator.LATEST_VERSION, sql.value("SELECT count(*) FROM " + names.table("schema_migrations")));
            assertEquals(before, storedEvents(sql), "the upgrade changed no stored event");
        }
        PostgresEventStore store = store();
        awaitSettled();

        // reads: the same events at the same positions, by every query
        assertEquals(before, stored(store.load(EventQuery.all()).collectList().block(TIMEOUT)));
        assertEquals(before.stream().filter(e -> e.streamId().startsWith("account-")).toList(),
                stored(store.load(EventQuery.of(EventFilter.forCategory("account"))).collectList().block(TIMEOUT)));
        assertEquals(before.stream().filter(e -> e.type().equals("order.placed")).toList(),
                stored(store.load(EventQuery.of(EventFilter.forType("order.placed"))).collectList().block(TIMEOUT)));
        assertEquals(before.subList(4, 7), stored(store.load(EventQuery.all().after(checkpoint)).collectList().block(TIMEOUT)));
        assertEquals(before.stream().filter(e -> e.streamId().equals("order-1")).toList(),
                stored(store.readStream(stream("order-1")).collectList().block(TIMEOUT)));
        for (Map.Entry<String, Long> version : versions.entrySet()) {
            assertEquals(version.getValue(), store.streamVersion(stream(version.getKey())).block(TIMEOUT), version.getKey());
        }
        PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
        assertEquals(checkpoint, checkpoints.load("orders").block(TIMEOUT));
        assertEquals(Position.START, checkpoints.load("fresh").block(TIMEOUT));
        StoredSnapshot snapshot = PostgresSnapshotStore.of(store).load(stream("order-1"), "order").block(TIMEOUT);
        assertEquals(2, snapshot.streamVersion());
        assertEquals("{\"paid\": true, \"total\": 120}", snapshot.dataAsString());

        // appends: at the next version, checked against the stored versions
        AppendResult shipped = store.append(stream("order-1"), ExpectedVersion.exact(3), List.of(EventData.of("order.delivered", "{}")))
                .block(TIMEOUT);
        assertEquals(3, shipped.fromVersion());
        assertEquals(4, shipped.toVersion());
        assertTrue(shipped.position().isAfter(before.get(before.size() - 1).position()), "after every stored event");
        ConcurrencyConflictException stale = assertInstanceOf(ConcurrencyConflictException.class, PgTestSupport.errorOf(
                store.append(stream("order-1"), ExpectedVersion.exact(3), List.of(EventData.of("order.delivered", "{}")))));
        assertEquals(4, stale.actualVersion());
        ConcurrencyConflictException exists = assertInstanceOf(ConcurrencyConflictException.class, PgTestSupport.errorOf(
                store.append(stream("account-7"), ExpectedVersion.noStream(), List.of(EventData.of("account.opened", "{}")))));
        assertEquals(3, exists.actualVersion());
        // the retry of a commit the earlier library stored answers the original result
        Stored placed = before.stream().filter(e -> e.streamId().equals("order-2")).findFirst().orElseThrow();
        AppendResult retried = store.append(stream("order-2"), ExpectedVersion.noStream(), List.of(new EventData(placed.eventId(),
                placed.type(), placed.data().getBytes(StandardCharsets.UTF_8), placed.metadata().getBytes(StandardCharsets.UTF_8))))
                .block(TIMEOUT);
        assertEquals(new AppendResult(stream("order-2"), 0, 1, placed.position()), retried);
        List<AppendResult> both = store.appendAll(List.of(
                        StreamAppend.of(stream("account-7"), ExpectedVersion.exact(3), List.of(EventData.of("account.deposited", "{\"amount\": 2}"))),
                        StreamAppend.of(stream("order-9"), ExpectedVersion.noStream(), List.of(EventData.of("order.placed", "{\"total\": 1}")))))
                .block(TIMEOUT);
        assertEquals(List.of(4L, 1L), both.stream().map(AppendResult::toVersion).toList());

        awaitSettled();
        List<RecordedEvent> after = store.load(EventQuery.all()).collectList().block(TIMEOUT);
        assertEquals(before, stored(after.subList(0, before.size())), "the stored events come first, unchanged");
        assertEquals(List.of("order-1", "account-7", "order-9"), after.subList(before.size(), after.size()).stream()
                .map(e -> e.streamId().toString()).toList(), "the new events, and nothing of the retry");
        PgTestSupport.assertStrictGlobalOrder(after);
        assertEquals(4L, store.streamVersion(stream("order-1")).block(TIMEOUT));
        assertEquals(4L, store.streamVersion(stream("account-7")).block(TIMEOUT));
        assertEquals(1L, store.streamVersion(stream("order-9")).block(TIMEOUT));
    }

    @Test
    void migratingUpToAVersionAppliesOnlyTheStepsUpToIt() {
        migrator.migrate(1).block(TIMEOUT);
        try (RawSession sql = new RawSession()) {
            assertEquals(List.of(Map.<String, Object>of("version", 1)),
                    sql.query("SELECT version FROM " + names.table("schema_migrations")));
        }
        migrator.migrate().block(TIMEOUT);
        try (RawSession sql = new RawSession()) {
            assertEquals((long) PostgresSchemaMigrator.LATEST_VERSION, sql.value("SELECT count(*) FROM " + names.table("schema_migrations")));
        }
        assertThrows(IllegalArgumentException.class, () -> migrator.migrate(0));
        assertThrows(IllegalArgumentException.class, () -> migrator.migrate(PostgresSchemaMigrator.LATEST_VERSION + 1));
    }

    @Test
    void theFunctionFormOfTheStepBeforeStillAppendsAfterTheUpgrade() {
        // a rolling upgrade: an instance of the previous version keeps calling step 4's form
        // (payloads as text arrays) while a newer one has migrated the schema
        migrator.migrate().block(TIMEOUT);
        try (RawSession sql = new RawSession()) {
            List<Map<String, Object>> rows = sql.query("SELECT r_outcome, r_from, r_to FROM " + names.table("append_batch")
                    + "(ARRAY[0], ARRAY[1], ARRAY[0::bigint], ARRAY[2], ARRAY['old-1'], ARRAY['old'],"
                    + " ARRAY[gen_random_uuid(), gen_random_uuid()], ARRAY[1, 1], ARRAY['a', 'b'],"
                    + " ARRAY['{\"n\":1}', '[2]'], ARRAY['{}', '{\"m\":3}'])");
            assertEquals(List.of(Map.<String, Object>of("r_outcome", "ok", "r_from", 0L, "r_to", 2L)), rows);
        }
        List<RecordedEvent> stored = store().readStream(stream("old-1")).collectList().block(TIMEOUT);
        assertEquals(List.of("{\"n\": 1}", "[2]"), stored.stream().map(RecordedEvent::dataAsString).toList());
        assertEquals(List.of("{}", "{\"m\": 3}"), stored.stream().map(RecordedEvent::metadataAsString).toList());
    }

    @Test
    void theBatchAndConditionedAppendsKeepGenericPlansFromStepNineOn() {
        String settings = "SELECT p.proname, p.proconfig::text AS config FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                + " WHERE n.nspname = $1 AND p.proname IN ('append_batch', 'append_if', 'append_one') AND p.pronargs IN (8, 12, 19)"
                + " ORDER BY p.proname";
        migrator.migrate(PostgresSchemaMigrator.GENERIC_PLANS_STEP - 1).block(TIMEOUT);
        try (RawSession sql = new RawSession()) {
            assertEquals(List.of(Map.of("proname", "append_batch", "config", "{enable_seqscan=off}"),
                    Map.of("proname", "append_if", "config", "{enable_seqscan=off}"),
                    Map.of("proname", "append_one", "config", "{enable_seqscan=off}")), sql.query(settings, schema));
        }
        migrator.migrate().block(TIMEOUT);
        try (RawSession sql = new RawSession()) {
            assertEquals(List.of(Map.of("proname", "append_batch", "config", "{enable_seqscan=off,plan_cache_mode=force_generic_plan}"),
                    Map.of("proname", "append_if", "config", "{enable_seqscan=off,plan_cache_mode=force_generic_plan}"),
                    Map.of("proname", "append_one", "config", "{enable_seqscan=off}")), sql.query(settings, schema));
        }
    }

    // ------------------------------------------------------------------ a newer schema

    /** What the schema holds: its tables with their columns, its functions, and the applied versions. */
    private Map<String, Object> contents() {
        try (RawSession sql = new RawSession()) {
            Map<String, Object> contents = new LinkedHashMap<>();
            contents.put("columns", sql.query("SELECT table_name, column_name, data_type FROM information_schema.columns"
                    + " WHERE table_schema = $1 ORDER BY table_name, column_name", schema));
            contents.put("functions", sql.query("SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace"
                    + " WHERE n.nspname = $1 ORDER BY p.proname", schema));
            contents.put("indexes", sql.query("SELECT indexname FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname", schema));
            contents.put("versions", sql.query("SELECT version, applied_at FROM " + names.table("schema_migrations") + " ORDER BY version"));
            return contents;
        }
    }

    private void isRefusedAsNewer() {
        Throwable error = PgTestSupport.errorOf(migrator.migrate());
        assertInstanceOf(StoreConfigurationException.class, error);
        int newer = PostgresSchemaMigrator.LATEST_VERSION + 1;
        assertEquals("schema " + schema + " is at version " + newer + ", newer than this library knows ("
                + PostgresSchemaMigrator.LATEST_VERSION + "): upgrade the library", error.getMessage());
    }

    @Test
    void aSchemaMigratedByANewerLibraryIsRefusedAndLeftAsItIs() {
        migrator.migrate().block(TIMEOUT);
        PostgresTestDatabase.execute("INSERT INTO " + names.table("schema_migrations") + " (version) VALUES ("
                + (PostgresSchemaMigrator.LATEST_VERSION + 1) + ")");
        Map<String, Object> before = contents();

        isRefusedAsNewer();
        assertEquals(before, contents());
        // every replica refuses it alike
        isRefusedAsNewer();
        assertEquals(before, contents());
    }

    @Test
    void aNewerVersionRecordedOnAnEmptySchemaGetsNoStepApplied() {
        PostgresTestDatabase.execute("CREATE SCHEMA " + names.schemaIdentifier());
        PostgresTestDatabase.execute("CREATE TABLE " + names.table("schema_migrations")
                + " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        PostgresTestDatabase.execute("INSERT INTO " + names.table("schema_migrations") + " (version) VALUES ("
                + (PostgresSchemaMigrator.LATEST_VERSION + 1) + ")");
        Map<String, Object> before = contents();

        isRefusedAsNewer();
        assertEquals(before, contents());
        try (RawSession sql = new RawSession()) {
            assertEquals(List.of(Map.<String, Object>of("table_name", "schema_migrations")),
                    sql.query("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", schema));
        }
    }
}
