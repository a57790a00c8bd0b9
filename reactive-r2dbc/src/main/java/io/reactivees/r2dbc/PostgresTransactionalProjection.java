package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.EventQuery;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.r2dbc.Database.Sql;
import java.util.List;
import java.util.Objects;
import java.util.function.BiFunction;
import reactor.core.publisher.Mono;

/**
 * A projection whose read model lives in the same PostgreSQL database: for each event, the handler
 * writes through the very R2DBC transaction that also saves the checkpoint, so each event takes
 * effect exactly once, whatever crashes or restarts happen.
 *
 * <pre>{@code
 * ProjectionRunner runner = PostgresTransactionalProjection.runner(store, "balances",
 *         EventQuery.of(EventFilter.forCategory("account")),
 *         (event, connection) -> Mono.from(connection.createStatement("UPDATE balances ...").execute()).then())
 *     .lease(PostgresProjectionLease.of(store, Duration.ofSeconds(1)))
 *     .build();
 * runner.start();
 * }</pre>
 */
public final class PostgresTransactionalProjection {

    private PostgresTransactionalProjection() {}

    /**
     * Returns a runner builder for a transactional projection. The runner's checkpoints are the
     * store's {@link PostgresCheckpointStore}; the handler's transaction writes them.
     *
     * @param store the store (migrated) whose events and checkpoints to use
     * @param name the projection's stable name
     * @param query the events it reads
     * @param handler applies one event through the given connection, inside the transaction; it must
     *     not commit or roll back itself
     * @return a builder for the runner
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static ProjectionRunner.Builder runner(PostgresEventStore store, String name, EventQuery query,
                                                  BiFunction<RecordedEvent, Connection, Mono<Void>> handler) {
        Objects.requireNonNull(store, "store must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
        String table = new SqlNames(store.options().schema()).table("checkpoints");
        Projection projection = Projection.of(name, query, event -> store.database().inTransaction(connection ->
                handler.apply(event, connection)
                        .then(Database.rows(connection, new Sql("INSERT INTO " + table + " (name, position) VALUES ($1, $2)"
                                        + " ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position, updated_at = now()",
                                        List.of(name, event.position().toString())), row -> row)
                                .then())
                        .thenReturn(true))
                .then());
        return ProjectionRunner.builder(store, new WrittenByHandler(checkpoints), projection);
    }

    /** Loads and deletes through the real store; saving is the handler's transaction's job. */
    private record WrittenByHandler(CheckpointStore delegate) implements CheckpointStore {
        @Override
        public Mono<Position> load(String name) {
            return delegate.load(name);
        }

        @Override
        public Mono<Void> save(String name, Position position) {
            delegate.load(name); // checks the arguments like every store; the write happened in the transaction
            return Mono.empty();
        }

        @Override
        public Mono<Void> delete(String name) {
            return delegate.delete(name);
        }
    }
}
