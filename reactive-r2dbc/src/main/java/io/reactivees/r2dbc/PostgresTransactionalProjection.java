package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.core.EventQuery;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.core.projection.ProjectionRunner;
import java.util.Objects;
import java.util.function.BiFunction;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * A projection whose read model lives in the same PostgreSQL database: for each event, the handler
 * writes through the very R2DBC transaction that also moves the checkpoint, and that transaction
 * first locks the checkpoint row and checks it is where its runner expects it. So each event takes
 * effect exactly once, whatever crashes, restarts, lease handovers or second runners happen: a
 * runner that finds the checkpoint moved rolls back, reloads it and resumes from there.
 *
 * <pre>{@code
 * ProjectionRunner runner = PostgresTransactionalProjection.runner(store, "balances",
 *         EventQuery.of(EventFilter.forCategory("account")),
 *         (event, connection) -> Mono.from(connection.createStatement("UPDATE balances ...").execute()).then(),
 *         connection -> Mono.from(connection.createStatement("DELETE FROM balances").execute()).then())
 *     .lease(lease)   // one PostgresProjectionLease per application replica
 *     .build();
 * runner.start();
 * runner.rebuild();   // one transaction: lock the checkpoint, empty balances, back to the start
 * }</pre>
 *
 * <p>The handler may also append events in its transaction with
 * {@link PostgresEventStore#appendInTransaction}. Its database failures (a terminated backend, a
 * serialization failure) are translated like the store's: those a retry may cure make the runner back
 * off and resume from the checkpoint; its own errors stop the runner.
 *
 * <p>The checkpoint row (in the store's {@code checkpoints} table, shared with
 * {@link PostgresCheckpointStore}) is created at the start before the first event and never deleted;
 * a rebuild moves it back to the start in a new epoch.
 */
public final class PostgresTransactionalProjection {

    private PostgresTransactionalProjection() {}

    /**
     * Returns a runner builder for a transactional projection whose read model is reset by hand (its
     * {@link ProjectionRunner#rebuild(Mono)} runs the given reset after the checkpoint's).
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
        return runner(store, name, query, handler, connection -> Mono.empty());
    }

    /**
     * Returns a runner builder for a transactional projection whose rebuild empties the read model in
     * the transaction that moves the checkpoint back to the start ({@link ProjectionRunner#rebuild()}).
     *
     * @param store the store (migrated) whose events and checkpoints to use
     * @param name the projection's stable name
     * @param query the events it reads
     * @param handler applies one event through the given connection, inside the transaction; it must
     *     not commit or roll back itself
     * @param resetReadModel empties the read model through the given connection, inside the rebuild's
     *     transaction; it must not commit or roll back itself
     * @return a builder for the runner
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static ProjectionRunner.Builder runner(PostgresEventStore store, String name, EventQuery query,
                                                  BiFunction<RecordedEvent, Connection, Mono<Void>> handler,
                                                  Function<Connection, Mono<Void>> resetReadModel) {
        return ProjectionRunner.builder(store, name, query, handler(store, handler, resetReadModel));
    }

    /**
     * Returns a runner builder for a transactional projection that runs under a table lease, with the
     * lease's fencing token checked inside each event's transaction: a replica whose lease expired or
     * was taken over applies nothing more, even when it has not noticed yet (a paused process). For
     * deployments behind PgBouncer in transaction pooling mode. The builder's lease is already set.
     *
     * @param store the store (migrated) whose events and checkpoints to use
     * @param name the projection's stable name
     * @param query the events it reads
     * @param handler applies one event through the given connection, inside the transaction; it must
     *     not commit or roll back itself
     * @param resetReadModel empties the read model through the given connection, inside the rebuild's
     *     transaction; it must not commit or roll back itself
     * @param lease this replica's table lease
     * @return a builder for the runner, its lease set
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code name} is blank
     */
    public static ProjectionRunner.Builder runner(PostgresEventStore store, String name, EventQuery query,
                                                  BiFunction<RecordedEvent, Connection, Mono<Void>> handler,
                                                  Function<Connection, Mono<Void>> resetReadModel, PostgresTableLease lease) {
        Objects.requireNonNull(lease, "lease must not be null");
        return ProjectionRunner.builder(store, name, query, handler(store, handler, resetReadModel, lease::fence)).lease(lease);
    }

    /**
     * Returns the fenced, transactional {@link CheckpointedHandler} itself, for runners built by hand.
     *
     * @param store the store (migrated) whose checkpoints to use
     * @param handler applies one event through the given connection, inside the transaction
     * @param resetReadModel empties the read model inside the rebuild's transaction
     * @return the handler; {@link CheckpointedHandler#fenced()} is true
     * @throws NullPointerException if an argument is null
     */
    public static CheckpointedHandler handler(PostgresEventStore store, BiFunction<RecordedEvent, Connection, Mono<Void>> handler,
                                              Function<Connection, Mono<Void>> resetReadModel) {
        return handler(store, handler, resetReadModel, (connection, projection) -> Mono.empty());
    }

    private static CheckpointedHandler handler(PostgresEventStore store, BiFunction<RecordedEvent, Connection, Mono<Void>> handler,
                                               Function<Connection, Mono<Void>> resetReadModel,
                                               BiFunction<Connection, String, Mono<Void>> fence) {
        Objects.requireNonNull(store, "store must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        Objects.requireNonNull(resetReadModel, "resetReadModel must not be null");
        return new TransactionalCheckpoints(store.database(), new SqlNames(store.options().schema()), handler, resetReadModel, fence);
    }
}
