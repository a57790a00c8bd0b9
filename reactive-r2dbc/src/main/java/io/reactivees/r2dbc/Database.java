package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Readable;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.Wrapped;
import java.util.List;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The module's database layer: where connections come from, the one transaction helper, and the
 * running of a statement with positional bindings. Every class of the module reaches PostgreSQL
 * through it; error translation is {@link Errors}.
 */
final class Database {

    private final ConnectionFactory connections;
    private final ConnectionFactory dedicated;
    private final ConnectionFactory sessions;

    /**
     * @param connections where short-lived work takes its connection (a pool)
     * @param dedicated where connections held a long time (write lanes) are opened
     * @param sessions where connections that need a session of their own (LISTEN, the advisory
     *     lease) are opened: {@code dedicated}, or a direct connection that bypasses a pooler
     */
    Database(ConnectionFactory connections, ConnectionFactory dedicated, ConnectionFactory sessions) {
        this.connections = Objects.requireNonNull(connections, "connections must not be null");
        this.dedicated = Objects.requireNonNull(dedicated, "dedicated must not be null");
        this.sessions = Objects.requireNonNull(sessions, "sessions must not be null");
    }

    /** A database whose work and held connections all come from {@code factory}. */
    static Database over(ConnectionFactory factory) {
        return new Database(factory, factory, factory);
    }

    /** The factory of short-lived connections (the pool). */
    ConnectionFactory connections() {
        return connections;
    }

    /** Opens connections outside the pool, for those held a long time (write lanes). */
    ConnectionFactory dedicatedConnections() {
        return dedicated;
    }

    /**
     * Opens connections whose session state must last (LISTEN, session advisory locks): the
     * dedicated factory unless the store was given a direct one.
     */
    ConnectionFactory sessionConnections() {
        return sessions;
    }

    /** Runs {@code work} on a connection of its own and releases the connection however the work ends. */
    <T> Mono<T> withConnection(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(Mono.from(connections.create()), work, Connection::close, (c, e) -> c.close(), Connection::close);
    }

    /**
     * Returns a holder that lets a paged read keep one connection of the pool across its statements
     * while {@code wanted} is true; see {@link HeldConnection}.
     */
    HeldConnection heldConnection(BooleanSupplier wanted) {
        return new HeldConnection(connections, wanted);
    }

    /**
     * Runs {@code work} in one transaction on a connection of its own: commit on success, rollback
     * on error, and on cancellation the connection is discarded (see {@link #discard}).
     */
    <T> Mono<T> inTransaction(Function<Connection, Mono<T>> work) {
        return Mono.usingWhen(Mono.from(connections.create()),
                connection -> Mono.from(connection.beginTransaction())
                        .then(work.apply(connection))
                        .flatMap(result -> Mono.from(connection.commitTransaction()).thenReturn(result))
                        .switchIfEmpty(Mono.from(connection.commitTransaction()).then(Mono.empty())),
                Connection::close,
                (connection, error) -> Mono.from(connection.rollbackTransaction()).onErrorResume(e -> Mono.empty())
                        .then(Mono.from(connection.close())),
                Database::discard);
    }

    /**
     * Gives back the connection of a cancelled transaction after closing the physical connection
     * under it, so a pool replaces it. A rollback is not enough: a cancel can overtake the
     * transaction's own start, so that {@code BEGIN} is sent after the rollback (and after the
     * driver's {@code rollbackTransaction()} found no transaction to end). The connection would go
     * back with a transaction opening on it, and the next borrower's writes would never commit.
     * Closing ends the session, and with it any transaction, whatever the order.
     */
    static Mono<Void> discard(Connection connection) {
        Connection physical = connection instanceof Wrapped<?> wrapped && wrapped.unwrap() instanceof Connection inner
                ? inner
                : connection;
        return Mono.from(physical.close()).onErrorResume(e -> Mono.empty())
                .then(Mono.from(connection.close()).onErrorResume(e -> Mono.empty()));
    }

    /** Runs {@code sql} on {@code connection} and maps every row of its results. */
    static <T> Flux<T> rows(Connection connection, Sql sql, Function<Readable, T> mapper) {
        return Flux.from(bind(connection.createStatement(sql.text()), sql.bindings()).execute())
                .concatMap(result -> result.map((row, meta) -> mapper.apply(row)));
    }

    /** Runs {@code sql} on {@code connection}, ignoring what it returns. */
    static Mono<Void> run(Connection connection, Sql sql) {
        return Flux.from(bind(connection.createStatement(sql.text()), sql.bindings()).execute())
                .concatMap(result -> result.getRowsUpdated())
                .then();
    }

    private static Statement bind(Statement statement, List<Object> bindings) {
        for (int i = 0; i < bindings.size(); i++) {
            statement.bind(i, bindings.get(i));
        }
        return statement;
    }

    /** A SQL statement with its positional bindings ({@code $1}, {@code $2}, ...). */
    record Sql(String text, List<Object> bindings) {
        Sql {
            Objects.requireNonNull(text, "text must not be null");
            bindings = List.copyOf(bindings);
        }

        static Sql of(String text, Object... bindings) {
            return new Sql(text, List.of(bindings));
        }
    }
}
