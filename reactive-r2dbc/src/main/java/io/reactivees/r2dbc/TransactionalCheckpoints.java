package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.projection.Checkpoint;
import io.reactivees.core.projection.CheckpointMovedException;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.r2dbc.Database.Sql;
import java.util.Optional;
import java.util.function.BiFunction;
import java.util.function.Function;
import reactor.core.publisher.Mono;

/**
 * The handler of a transactional projection: each event is applied in one transaction that first
 * locks the projection's checkpoint row and checks it is the checkpoint the runner expects, then
 * runs the caller's handler on the transaction's connection and moves the checkpoint. The row lock
 * is the fence: a second runner (a lease handover, no lease at all) waits for the first one's
 * commit, then finds the checkpoint moved, rolls back and reloads. So each event takes effect
 * exactly once, whichever runners run and however their connections die.
 *
 * <p>With a table lease ({@link PostgresTableLease}) the transaction first checks the lease's
 * fencing token, so a holder whose lease was taken over applies nothing more.
 *
 * <p>The row is created at {@link Position#START} before the first event ({@code FOR UPDATE} on a
 * missing row would lock nothing) and never deleted: a rebuild locks it, resets the read model
 * through the same transaction and sets it back to the start in a new epoch, so a runner of the old
 * epoch fails its fence even when it, too, is at the start.
 *
 * <p>Database failures, the handler's statements' included, are translated by {@link Errors} (a
 * terminated backend is a {@link io.reactivees.core.StoreUnavailableException}); the handler's own
 * errors are left as they are, and stop the runner.
 */
final class TransactionalCheckpoints implements CheckpointedHandler {

    private final Database database;
    private final SqlNames names;
    private final String table;
    private final BiFunction<RecordedEvent, Connection, Mono<Void>> handler;
    private final Function<Connection, Mono<Void>> resetReadModel;
    private final BiFunction<Connection, String, Mono<Void>> fence;

    /**
     * @param fence checked first in each event's transaction, with the projection's name (a table
     *     lease's token); it fails to refuse the event
     */
    TransactionalCheckpoints(Database database, SqlNames names, BiFunction<RecordedEvent, Connection, Mono<Void>> handler,
                             Function<Connection, Mono<Void>> resetReadModel, BiFunction<Connection, String, Mono<Void>> fence) {
        this.database = database;
        this.names = names;
        this.table = names.table("checkpoints");
        this.handler = handler;
        this.resetReadModel = resetReadModel;
        this.fence = fence;
    }

    @Override
    public Mono<Checkpoint> load(String projection) {
        // The main query does not see the row its CTE inserts: exactly one of the two arms answers.
        Sql sql = Sql.of("WITH created AS (INSERT INTO " + table + " (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING"
                        + " RETURNING position, epoch)"
                        + " SELECT position, epoch FROM created UNION ALL SELECT position, epoch FROM " + table + " WHERE name = $1",
                projection, Position.START.toString());
        // A runner creating the row at the same moment makes this insert wait and do nothing, and the
        // statement's snapshot, taken before that commit, does not see the row either: read again.
        return database.withConnection(connection -> Database.rows(connection, sql, TransactionalCheckpoints::checkpoint).next())
                .repeatWhenEmpty(3, empties -> empties)
                .switchIfEmpty(Mono.error(() -> new IllegalStateException("the checkpoint row of projection " + projection
                        + " was deleted as often as it was created")))
                .onErrorMap(e -> translate(e, "loading the checkpoint of projection " + projection));
    }

    @Override
    public Mono<Checkpoint> apply(String projection, RecordedEvent event, Checkpoint expected) {
        return move(projection, event.position(), expected, connection -> handler.apply(event, connection))
                .onErrorMap(e -> translate(e, "applying event " + event.position() + " to projection " + projection));
    }

    /** Moves the checkpoint past other segments' events in a transaction of its own, fenced as {@link #apply} is. */
    @Override
    public Mono<Checkpoint> skipTo(String projection, Position position, Checkpoint expected) {
        return move(projection, position, expected, connection -> Mono.empty())
                .onErrorMap(e -> translate(e, "moving the checkpoint of projection " + projection + " to " + position));
    }

    /**
     * In one transaction: the fence, the checkpoint row locked and checked against {@code expected},
     * {@code work} on the transaction's connection, and the checkpoint moved to {@code position}.
     */
    private Mono<Checkpoint> move(String projection, Position position, Checkpoint expected, Function<Connection, Mono<Void>> work) {
        return database.inTransaction(connection -> fence.apply(connection, projection)
                .then(lock(connection, projection))
                .flatMap(actual -> actual.filter(expected::equals).isEmpty()
                        ? Mono.<Checkpoint>error(new CheckpointMovedException(projection, expected, actual.orElse(null)))
                        : Mono.defer(() -> work.apply(connection))
                                .then(Database.run(connection, Sql.of("UPDATE " + table
                                        + " SET position = $2, updated_at = now() WHERE name = $1", projection, position.toString())))
                                .thenReturn(expected.at(position))));
    }

    @Override
    public Mono<Void> reset(String projection) {
        return database.inTransaction(connection -> Database.run(connection, Sql.of("INSERT INTO " + table
                                + " (name, position) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING", projection, Position.START.toString()))
                        .then(lock(connection, projection))
                        .then(Mono.defer(() -> resetReadModel.apply(connection)))
                        .then(Database.run(connection, Sql.of("UPDATE " + table
                                + " SET position = $2, epoch = epoch + 1, updated_at = now() WHERE name = $1", projection, Position.START.toString())))
                        .thenReturn(true))
                .then()
                .onErrorMap(e -> translate(e, "rebuilding projection " + projection));
    }

    @Override
    public boolean fenced() {
        return true;
    }

    private static Mono<Optional<Checkpoint>> lock(Connection connection, String projection, String table) {
        return Database.rows(connection, Sql.of("SELECT position, epoch FROM " + table + " WHERE name = $1 FOR UPDATE", projection),
                        TransactionalCheckpoints::checkpoint)
                .next()
                .map(Optional::of)
                .defaultIfEmpty(Optional.empty());
    }

    private Mono<Optional<Checkpoint>> lock(Connection connection, String projection) {
        return lock(connection, projection, table);
    }

    private static Checkpoint checkpoint(Readable row) {
        return new Checkpoint(Position.parse(row.get("position", String.class)), row.get("epoch", Long.class));
    }

    private Throwable translate(Throwable error, String doing) {
        return error instanceof CheckpointMovedException || !Errors.isDatabaseFailure(error) ? error : Errors.translate(error, names, doing);
    }
}
