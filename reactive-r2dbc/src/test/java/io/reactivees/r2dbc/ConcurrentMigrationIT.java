package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Replicas that boot together migrate the same schema at once: the advisory lock makes them take
 * turns, every run succeeds, each step is applied once, and the result is a working store.
 */
class ConcurrentMigrationIT {

    private static final int MIGRATORS = 8;

    private final String schema = PostgresTestDatabase.newSchema();

    @AfterEach
    void dropSchema() {
        PostgresTestDatabase.dropSchema(schema);
    }

    @Test
    void eightMigratorsAtOnceOnAFreshSchemaAllSucceedAndApplyEachStepOnce() {
        List<Mono<Void>> runs = Flux.range(0, MIGRATORS)
                .map(i -> new PostgresSchemaMigrator(PostgresTestDatabase.connectionFactory(), schema)
                        .migrate()
                        .subscribeOn(Schedulers.parallel()))
                .collectList()
                .block(TIMEOUT);

        // each run opens a connection of its own; all are in flight together
        Flux.merge(runs).then().block(TIMEOUT);

        try (RawSession sql = new RawSession()) {
            List<Map<String, Object>> versions = sql.query(
                    "SELECT version, count(*) AS n FROM \"" + schema + "\".schema_migrations GROUP BY version ORDER BY version");
            assertEquals(java.util.stream.IntStream.rangeClosed(1, PostgresSchemaMigrator.LATEST_VERSION)
                            .mapToObj(v -> Map.<String, Object>of("version", v, "n", 1L)).toList(),
                    versions, "one row per migration version");
            assertEquals(1L, sql.value("SELECT count(*) FROM pg_trigger WHERE tgrelid = '\"" + schema + "\".events'::regclass"
                    + " AND tgname = 'events_append_only'"));
        }

        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 2).build())
                .build();
        try {
            StreamId stream = StreamId.of("order", "1");
            store.migrate().block(TIMEOUT); // a ninth run later finds nothing to do
            store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("placed", "{\"n\":1}"))).block(TIMEOUT);
            PgTestSupport.await("the append is readable", () -> store.load(EventQuery.all()).count().map(n -> n == 1));
            List<RecordedEvent> events = store.load(EventQuery.all()).collectList().block(TIMEOUT);
            assertEquals(1, events.size());
            assertEquals(stream, events.get(0).streamId());
        } finally {
            store.close().block(TIMEOUT);
        }
    }

    @Test
    void migratorsRacingOnAnAlreadyMigratedSchemaChangeNothing() {
        new PostgresSchemaMigrator(PostgresTestDatabase.connectionFactory(), schema).migrate().block(TIMEOUT);

        Flux.range(0, MIGRATORS)
                .flatMap(i -> new PostgresSchemaMigrator(PostgresTestDatabase.connectionFactory(), schema)
                        .migrate()
                        .subscribeOn(Schedulers.parallel()), MIGRATORS)
                .then()
                .block(TIMEOUT);

        try (RawSession sql = new RawSession()) {
            assertEquals((long) PostgresSchemaMigrator.LATEST_VERSION, sql.value("SELECT count(*) FROM \"" + schema + "\".schema_migrations"));
        }
    }
}
