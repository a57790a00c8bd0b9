package io.reactivees.r2dbc;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.ConnectionFactory;
import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.r2dbc.Database.Sql;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * A {@link SnapshotStore} in the {@code snapshots} table of an event store's schema (created by
 * {@link PostgresSchemaMigrator}): one row per (stream, snapshot type), the state in a {@code jsonb}
 * column, so PostgreSQL may normalise its whitespace and key order. A save is one upsert
 * ({@code INSERT ... ON CONFLICT DO UPDATE}): the last write wins, and concurrent saves to one key
 * leave one of them whole.
 *
 * <pre>{@code
 * SnapshotStore snapshots = PostgresSnapshotStore.of(eventStore);               // its pool and schema
 * SnapshotStore elsewhere = PostgresSnapshotStore.of(connectionFactory, "orders"); // a migrated schema
 * }</pre>
 *
 * <p>Every statement runs on a connection of its own, released when it completes, fails or is
 * cancelled. Failures are translated as the event store's are, keeping the original as the cause:
 * {@link io.reactivees.core.StoreUnavailableException} when the database cannot be reached or fails
 * in a way a retry may cure, {@link io.reactivees.core.StoreConfigurationException} when the schema
 * is not migrated or the role lacks a privilege (the message says what to do).
 */
public final class PostgresSnapshotStore implements SnapshotStore {

    private final Database database;
    private final SqlNames names;
    private final String table;

    private PostgresSnapshotStore(Database database, String schema) {
        this.database = database;
        this.names = new SqlNames(schema);
        this.table = names.table("snapshots");
    }

    /**
     * Returns a snapshot store on an event store's connection pool and schema.
     *
     * @param store the event store (its schema migrated)
     * @return the snapshot store
     * @throws NullPointerException if {@code store} is null
     */
    public static PostgresSnapshotStore of(PostgresEventStore store) {
        Objects.requireNonNull(store, "store must not be null");
        return new PostgresSnapshotStore(store.database(), store.options().schema());
    }

    /**
     * Returns a snapshot store in a schema that {@link PostgresSchemaMigrator} has migrated, taking
     * a connection from {@code connectionFactory} for each statement (give it a pool).
     *
     * @param connectionFactory where to connect
     * @param schema the store's schema
     * @return the snapshot store
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code schema} is not a valid lower-case identifier
     */
    public static PostgresSnapshotStore of(ConnectionFactory connectionFactory, String schema) {
        return new PostgresSnapshotStore(Database.over(Objects.requireNonNull(connectionFactory, "connectionFactory must not be null")), schema);
    }

    @Override
    public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
        Objects.requireNonNull(stream, "stream must not be null");
        StoredSnapshot.requireSnapshotType(snapshotType);
        Sql sql = new Sql("SELECT stream_version, schema_version, data FROM " + table + " WHERE stream_id = $1 AND snapshot_type = $2",
                List.of(stream.toString(), snapshotType));
        return database.withConnection(c -> Database.rows(c, sql, row -> new StoredSnapshot(stream, snapshotType,
                                row.get("stream_version", Long.class), row.get("schema_version", Integer.class),
                                row.get("data", Json.class).asArray()))
                        .next())
                .onErrorMap(e -> Errors.translate(e, names, "loading the " + snapshotType + " snapshot of " + stream));
    }

    @Override
    public Mono<Void> save(StoredSnapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot must not be null");
        Sql sql = new Sql("INSERT INTO " + table + " (stream_id, snapshot_type, stream_version, schema_version, data)"
                + " VALUES ($1, $2, $3, $4, $5::jsonb)"
                + " ON CONFLICT (stream_id, snapshot_type) DO UPDATE SET stream_version = EXCLUDED.stream_version,"
                + " schema_version = EXCLUDED.schema_version, data = EXCLUDED.data, taken_at = now()",
                List.of(snapshot.streamId().toString(), snapshot.snapshotType(), snapshot.streamVersion(),
                        snapshot.schemaVersion(), snapshot.dataAsString()));
        return database.withConnection(c -> Database.rows(c, sql, row -> row).then())
                .onErrorMap(e -> Errors.translate(e, names, "saving " + snapshot));
    }

}
