package io.reactivees.r2dbc;

import io.reactivees.core.Position;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.r2dbc.Database.Sql;
import java.util.List;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * A {@link CheckpointStore} in the {@code checkpoints} table of a {@link PostgresEventStore}'s
 * schema, on the store's connection pool. Positions are kept in their string form.
 */
public final class PostgresCheckpointStore implements CheckpointStore {

    private final PostgresEventStore store;
    private final SqlNames names;
    private final String table;

    private PostgresCheckpointStore(PostgresEventStore store) {
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.names = new SqlNames(store.options().schema());
        this.table = names.table("checkpoints");
    }

    /**
     * @param store the event store whose schema and pool to use (migrated)
     * @return the checkpoint store
     * @throws NullPointerException if {@code store} is null
     */
    public static PostgresCheckpointStore of(PostgresEventStore store) {
        return new PostgresCheckpointStore(store);
    }

    @Override
    public Mono<Position> load(String name) {
        requireName(name);
        Sql sql = new Sql("SELECT position FROM " + table + " WHERE name = $1", List.of(name));
        return store.database().withConnection(c -> Database.rows(c, sql, row -> Position.parse(row.get("position", String.class))).next())
                .onErrorMap(e -> Errors.translate(e, names, "loading the checkpoint of " + name));
    }

    @Override
    public Mono<Void> save(String name, Position position) {
        requireName(name);
        Objects.requireNonNull(position, "position must not be null");
        Sql sql = new Sql("INSERT INTO " + table + " (name, position) VALUES ($1, $2)"
                + " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
                List.of(name, position.toString()));
        return store.database().withConnection(c -> Database.rows(c, sql, row -> row).then())
                .onErrorMap(e -> Errors.translate(e, names, "saving the checkpoint of " + name));
    }

    @Override
    public Mono<Void> delete(String name) {
        requireName(name);
        Sql sql = new Sql("DELETE FROM " + table + " WHERE name = $1", List.of(name));
        return store.database().withConnection(c -> Database.rows(c, sql, row -> row).then())
                .onErrorMap(e -> Errors.translate(e, names, "deleting the checkpoint of " + name));
    }

    private static void requireName(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }
}
