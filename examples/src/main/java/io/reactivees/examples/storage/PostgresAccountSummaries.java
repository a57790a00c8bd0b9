package io.reactivees.examples.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.examples.bank.AccountChange;
import io.reactivees.examples.bank.AccountEvent;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.bank.AccountSummary;
import java.util.Objects;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The accounts read model in a PostgreSQL table, {@code account_summaries} in the store's schema.
 * The projection writes it through the transaction that also saves its checkpoint
 * ({@link io.reactivees.r2dbc.PostgresTransactionalProjection}), so each event takes effect exactly
 * once; each write is also guarded by the account's version, so applying an event twice would
 * change nothing anyway.
 */
final class PostgresAccountSummaries implements AccountSummaries {

    private final ConnectionFactory connections;
    private final String schema;
    private final String table;

    /**
     * @param connections where to read (a pool)
     * @param schema the table's schema; a lower-case SQL identifier, as the event store's options
     *     require
     */
    PostgresAccountSummaries(ConnectionFactory connections, String schema) {
        this.connections = Objects.requireNonNull(connections, "connections must not be null");
        this.schema = Objects.requireNonNull(schema, "schema must not be null");
        this.table = '"' + schema + "\".\"account_summaries\"";
    }

    /**
     * Creates the table (and the schema, if the event store's migration has not yet) if it is
     * missing; replicas starting together take turns under an advisory lock.
     *
     * @return a cold {@code Mono} that completes once the table exists
     */
    Mono<Void> migrate() {
        // One simple-protocol query with two statements runs as one implicit transaction, so the
        // transaction-scoped lock covers the CREATE.
        String sql = "SELECT pg_advisory_xact_lock(hashtext('reactivees-examples:" + schema + "'));"
                + " CREATE SCHEMA IF NOT EXISTS \"" + schema + "\";"
                + " CREATE TABLE IF NOT EXISTS " + table
                + " (id uuid PRIMARY KEY, owner text NOT NULL, balance bigint NOT NULL, version bigint NOT NULL)";
        return Mono.usingWhen(connections.create(),
                        connection -> drain(connection.createStatement(sql).execute()),
                        Connection::close)
                .onErrorMap(R2dbcException.class, e -> new StoreUnavailableException("creating the accounts read model", e));
    }

    /**
     * Applies one account event through the projection's transaction.
     *
     * @param change the event
     * @param connection the projection's connection, inside its transaction
     * @return a {@code Mono} that completes once written
     */
    Mono<Void> apply(AccountChange change, Connection connection) {
        if (change.event() instanceof AccountEvent.Opened opened) {
            return drain(connection.createStatement("INSERT INTO " + table + " (id, owner, balance, version)"
                            + " VALUES ($1, $2, 0, $3) ON CONFLICT (id) DO NOTHING")
                    .bind(0, change.accountId())
                    .bind(1, opened.owner())
                    .bind(2, change.version())
                    .execute());
        }
        return drain(connection.createStatement("UPDATE " + table + " SET balance = balance + $2, version = $3"
                        + " WHERE id = $1 AND version = $3 - 1")
                .bind(0, change.accountId())
                .bind(1, change.event().balanceChange())
                .bind(2, change.version())
                .execute());
    }

    @Override
    public Flux<AccountSummary> findAll() {
        return Flux.usingWhen(connections.create(),
                        connection -> Flux.from(connection.createStatement(
                                        "SELECT id, owner, balance, version FROM " + table + " ORDER BY owner COLLATE \"C\", id")
                                .execute())
                                .concatMap(result -> result.map((row, metadata) -> new AccountSummary(
                                        row.get("id", java.util.UUID.class),
                                        row.get("owner", String.class),
                                        row.get("balance", Long.class),
                                        row.get("version", Long.class)))),
                        Connection::close)
                .onErrorMap(R2dbcException.class, e -> new StoreUnavailableException("reading the accounts read model", e));
    }

    private static Mono<Void> drain(org.reactivestreams.Publisher<? extends Result> results) {
        return Flux.from(results).concatMap(Result::getRowsUpdated).then();
    }
}
