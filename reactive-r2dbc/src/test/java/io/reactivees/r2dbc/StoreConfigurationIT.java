package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.postgresql.extension.Extension;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.r2dbc.internal.TransactionIdCodecRegistrar;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.test.StepVerifier;

/**
 * A store that cannot work as configured fails with {@link StoreConfigurationException}, whose
 * message says what to do, and never with an error that invites a retry: on a schema nobody
 * migrated, as a database role that lacks the privileges on the schema, and over a connection
 * factory that loads none of the driver extensions the store's reads need.
 */
class StoreConfigurationIT {

    private static final StreamId STREAM = StreamId.of("order", "1");

    private static List<EventData> oneEvent() {
        return List.of(EventData.of("placed", "{\"n\":1}"));
    }

    private static void fails(Publisher<?> operation, Consumer<Throwable> check) {
        StepVerifier.create(operation).expectErrorSatisfies(check).verify(TIMEOUT);
    }

    @Nested
    class OnASchemaNeverMigrated {

        private final String schema = PostgresTestDatabase.newSchema();
        private final PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 2).build())
                .build();

        @AfterEach
        void close() {
            store.close().block(TIMEOUT);
            PostgresTestDatabase.dropSchema(schema);
        }

        private void saysToMigrate(Throwable error) {
            assertInstanceOf(StoreConfigurationException.class, error);
            assertTrue(error.getMessage().contains("run PostgresEventStore.migrate() (or PostgresSchemaMigrator) on schema " + schema),
                    error.getMessage());
        }

        @Test
        void everyOperationFailsSayingToMigrateTheSchema() {
            fails(store.append(STREAM, ExpectedVersion.noStream(), oneEvent()), this::saysToMigrate);
            fails(store.appendAll(List.of(StreamAppend.of(STREAM, ExpectedVersion.any(), oneEvent()),
                    StreamAppend.of(StreamId.of("order", "2"), ExpectedVersion.any(), oneEvent()))), this::saysToMigrate);
            fails(store.streamVersion(STREAM), this::saysToMigrate);
            fails(store.readStream(STREAM, ReadOptions.forwards()), this::saysToMigrate);
            fails(store.load(EventQuery.all()), this::saysToMigrate);
            fails(store.subscribe(EventQuery.all()), this::saysToMigrate);
            PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
            fails(checkpoints.load("projection"), this::saysToMigrate);
            fails(checkpoints.save("projection", Position.START), this::saysToMigrate);
        }

        @Test
        void afterMigratingTheSameStoreWorks() {
            fails(store.append(STREAM, ExpectedVersion.noStream(), oneEvent()), this::saysToMigrate);

            store.migrate().block(TIMEOUT);

            assertEquals(1L, store.append(STREAM, ExpectedVersion.noStream(), oneEvent()).block(TIMEOUT).toVersion());
            assertEquals(1L, store.streamVersion(STREAM).block(TIMEOUT));
        }
    }

    /**
     * A role with {@code LOGIN} and no grant on a schema that another role migrated. The role is
     * made for the test and dropped after it.
     */
    @Nested
    class AsARoleWithoutPrivileges {

        private static final Pattern GRANT = Pattern.compile("GRANT [^;()]+ TO <role>");

        private final String role = "reactivees_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        private PgTestSupport.StoreOnSchema owner;
        private PostgresEventStore store;

        @BeforeEach
        void roleAndSchema() {
            PostgresTestDatabase.execute("CREATE ROLE " + role + " LOGIN PASSWORD '" + role + "'");
            owner = PgTestSupport.newStore(options -> options);
            store = PostgresEventStore.builder(connectingAs(role))
                    .options(PostgresEventStoreOptions.builder().schema(owner.schema).poolSize(0, 2).build())
                    .build();
        }

        @AfterEach
        void dropEverything() {
            try {
                if (store != null) {
                    store.close().block(TIMEOUT);
                }
                if (owner != null) {
                    owner.close();
                }
            } finally {
                PostgresTestDatabase.execute("DROP OWNED BY " + role);
                PostgresTestDatabase.execute("DROP ROLE " + role);
            }
        }

        private ConnectionFactory connectingAs(String user) {
            return ConnectionFactories.get(ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                    .option(ConnectionFactoryOptions.USER, user)
                    .option(ConnectionFactoryOptions.PASSWORD, user)
                    .build());
        }

        private void namesThePrivilege(Throwable error) {
            assertInstanceOf(StoreConfigurationException.class, error);
            String message = error.getMessage();
            assertTrue(message.contains("lacks a privilege on schema " + owner.schema), message);
            assertTrue(message.contains("permission denied"), "the server's message: " + message);
            assertTrue(message.contains("GRANT USAGE ON SCHEMA \"" + owner.schema + "\" TO <role>"), message);
        }

        @Test
        void everyOperationFailsNamingThePrivilegeAndWhatToGrant() {
            fails(store.append(STREAM, ExpectedVersion.noStream(), oneEvent()), this::namesThePrivilege);
            fails(store.streamVersion(STREAM), this::namesThePrivilege);
            fails(store.load(EventQuery.all()), this::namesThePrivilege);
            fails(store.readStream(STREAM, ReadOptions.forwards()), this::namesThePrivilege);
            fails(PostgresCheckpointStore.of(store).load("projection"), this::namesThePrivilege);
            // migrating needs the owner (or the right to create schemas), not the grants
            fails(store.migrate(), error -> {
                assertInstanceOf(StoreConfigurationException.class, error);
                assertTrue(error.getMessage().contains("permission denied"), error.getMessage());
            });
        }

        @Test
        void grantingWhatTheMessageSaysMakesTheStoreWork() {
            Throwable error = PgTestSupport.errorOf(store.append(STREAM, ExpectedVersion.noStream(), oneEvent()));
            namesThePrivilege(error);
            List<String> grants = new ArrayList<>();
            Matcher matcher = GRANT.matcher(error.getMessage());
            while (matcher.find()) {
                grants.add(matcher.group().replace("<role>", role));
            }
            assertFalse(grants.isEmpty(), error.getMessage());

            grants.forEach(PostgresTestDatabase::execute);

            assertEquals(1L, store.append(STREAM, ExpectedVersion.noStream(), oneEvent()).block(TIMEOUT).toVersion());
            assertEquals(1L, store.streamVersion(STREAM).block(TIMEOUT));
            owner.awaitSettled();
            assertEquals(1L, store.load(EventQuery.all()).count().block(TIMEOUT));
            PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
            checkpoints.save("projection", new Position(1, 2)).block(TIMEOUT);
            assertEquals(new Position(1, 2), checkpoints.load("projection").block(TIMEOUT));
            checkpoints.delete("projection").block(TIMEOUT);
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(store);
            snapshots.save(new StoredSnapshot(STREAM, "order", 1, 1, "{}".getBytes(StandardCharsets.UTF_8)))
                    .block(TIMEOUT);
            assertEquals(1L, snapshots.load(STREAM, "order").block(TIMEOUT).streamVersion());
        }
    }

    /**
     * The store reads transaction ids with its own {@code xid8} codec, which r2dbc-postgresql loads
     * from the classpath unless a factory turns extension detection off.
     */
    @Nested
    class OverAFactoryWithoutExtensionDetection {

        private ConnectionFactory factory(Collection<Extension> extensions) {
            return ConnectionFactories.get(ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                    .option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true)
                    .option(PostgresqlConnectionFactoryProvider.AUTODETECT_EXTENSIONS, false)
                    .option(PostgresqlConnectionFactoryProvider.EXTENSIONS, extensions)
                    .build());
        }

        @Test
        void readsFailSayingHowToRegisterTheCodecAndWritesAreUnaffected() {
            try (PgTestSupport.StoreOnSchema on = PgTestSupport.newStore(factory(List.of()), options -> options)) {
                assertEquals(1L, on.store.append(STREAM, ExpectedVersion.noStream(), oneEvent()).block(TIMEOUT).toVersion());
                on.awaitSettled();
                Consumer<Throwable> saysHow = error -> {
                    assertInstanceOf(StoreConfigurationException.class, error);
                    assertTrue(error.getMessage().contains("codecRegistrar(new io.reactivees.r2dbc.internal.TransactionIdCodecRegistrar())"),
                            error.getMessage());
                };
                fails(on.store.load(EventQuery.all()), saysHow);
                fails(on.store.readStream(STREAM, ReadOptions.forwards()), saysHow);
                assertEquals(1L, on.store.streamVersion(STREAM).block(TIMEOUT));
            }
        }

        @Test
        void theRegistrarGivenByHandMakesReadsWork() {
            try (PgTestSupport.StoreOnSchema on = PgTestSupport.newStore(factory(List.of(new TransactionIdCodecRegistrar())), options -> options)) {
                on.store.append(STREAM, ExpectedVersion.noStream(), oneEvent()).block(TIMEOUT);
                List<RecordedEvent> loaded = on.loadAll();
                assertEquals(1, loaded.size());
                Object stored = PgTestSupport.queryAsync("SELECT transaction_id::text::bigint AS tx FROM " + on.table("events")).block(TIMEOUT).get(0).get("tx");
                assertEquals(stored, loaded.get(0).position().commit());
                assertEquals(loaded, on.store.readStream(STREAM, ReadOptions.forwards()).collectList().block(TIMEOUT));
            }
        }
    }
}
