package io.reactivees.examples.storage;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.StoredAnswer;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Function;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@link IdempotencyRecords} in a PostgreSQL table, {@code idempotency_keys} in the store's schema,
 * shared by every replica of the bank. Times are the database's ({@code now()}), so replicas agree on
 * expiry. A claim is one {@code INSERT ... ON CONFLICT DO UPDATE ... WHERE} (the key free, expired or
 * abandoned): of concurrent claims exactly one wins.
 */
final class PostgresIdempotencyRecords implements IdempotencyRecords {

    private final ConnectionFactory connections;
    private final String schema;
    private final String table;
    private final long timeToLiveMillis;
    private final long inFlightTimeoutMillis;

    /**
     * @param connections where to run (a pool)
     * @param schema the table's schema; a lower-case SQL identifier, as the event store's options require
     * @param timeToLive how long a record is kept after it was taken or answered
     * @param inFlightTimeout how long an unanswered claim holds its key
     */
    PostgresIdempotencyRecords(ConnectionFactory connections, String schema, Duration timeToLive, Duration inFlightTimeout) {
        this.connections = Objects.requireNonNull(connections, "connections must not be null");
        this.schema = Objects.requireNonNull(schema, "schema must not be null");
        this.table = '"' + schema + "\".\"idempotency_keys\"";
        this.timeToLiveMillis = timeToLive.toMillis();
        this.inFlightTimeoutMillis = inFlightTimeout.toMillis();
    }

    /**
     * Creates the table if it is missing; run after {@link PostgresAccountSummaries#migrate()} (which
     * creates the schema if need be), replicas taking turns under an advisory lock.
     *
     * @return a cold {@code Mono} that completes once the table exists
     */
    Mono<Void> migrate() {
        String sql = "SELECT pg_advisory_xact_lock(hashtext('reactivees-examples-idempotency:" + schema + "'));"
                + " CREATE TABLE IF NOT EXISTS " + table + " (key text PRIMARY KEY, fingerprint text NOT NULL, status integer,"
                + " content_type text, location text, body bytea, claimed_at timestamptz NOT NULL, expires_at timestamptz NOT NULL);"
                + " CREATE INDEX IF NOT EXISTS idempotency_keys_expires_at ON " + table + " (expires_at)";
        return run(connection -> drain(connection.createStatement(sql).execute()), "creating the idempotency records");
    }

    @Override
    public Mono<Claim> claim(String key, String fingerprint) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(fingerprint, "fingerprint must not be null");
        String take = "INSERT INTO " + table + " AS r (key, fingerprint, claimed_at, expires_at)"
                + " VALUES ($1, $2, now(), now() + $3 * interval '1 millisecond')"
                + " ON CONFLICT (key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, status = NULL, content_type = NULL,"
                + " location = NULL, body = NULL, claimed_at = EXCLUDED.claimed_at, expires_at = EXCLUDED.expires_at"
                + " WHERE r.expires_at <= now() OR (r.status IS NULL AND r.claimed_at <= now() - $4 * interval '1 millisecond')"
                + " RETURNING 1 AS taken";
        String read = "SELECT fingerprint, status, content_type, location, body FROM " + table + " WHERE key = $1";
        return run(connection -> Flux.from(connection.createStatement(take)
                                .bind(0, key).bind(1, fingerprint).bind(2, timeToLiveMillis).bind(3, inFlightTimeoutMillis)
                                .execute())
                        .concatMap(result -> result.map((row, meta) -> 1))
                        .hasElements()
                        .flatMap(taken -> taken ? Mono.<Claim>just(new Claim.Claimed())
                                : Flux.from(connection.createStatement(read).bind(0, key).execute())
                                        .concatMap(result -> result.map((row, meta) -> {
                                            if (!fingerprint.equals(row.get("fingerprint", String.class))) {
                                                return (Claim) new Claim.Mismatch();
                                            }
                                            Integer status = row.get("status", Integer.class);
                                            if (status == null) {
                                                return new Claim.InFlight();
                                            }
                                            ByteBuffer body = row.get("body", ByteBuffer.class);
                                            byte[] bytes = new byte[body == null ? 0 : body.remaining()];
                                            if (body != null) {
                                                body.get(bytes);
                                            }
                                            return new Claim.Completed(new StoredAnswer(status, row.get("content_type", String.class),
                                                    row.get("location", String.class), bytes));
                                        }))
                                        .next()
                                        // purged or taken over between the two statements: still busy
                                        .defaultIfEmpty(new Claim.InFlight())),
                "claiming an idempotency key");
    }

    @Override
    public Mono<Void> complete(String key, String fingerprint, StoredAnswer answer) {
        Objects.requireNonNull(answer, "answer must not be null");
        String sql = "UPDATE " + table + " SET status = $3, content_type = $4, location = $5, body = $6,"
                + " expires_at = now() + $7 * interval '1 millisecond' WHERE key = $1 AND fingerprint = $2 AND status IS NULL";
        return run(connection -> {
            Statement statement = connection.createStatement(sql).bind(0, key).bind(1, fingerprint).bind(2, answer.status());
            bindText(statement, 3, answer.contentType());
            bindText(statement, 4, answer.location());
            statement.bind(5, ByteBuffer.wrap(answer.body())).bind(6, timeToLiveMillis);
            return drain(statement.execute());
        }, "storing an idempotent answer");
    }

    @Override
    public Mono<Void> release(String key, String fingerprint) {
        String sql = "DELETE FROM " + table + " WHERE key = $1 AND fingerprint = $2 AND status IS NULL";
        return run(connection -> drain(connection.createStatement(sql).bind(0, key).bind(1, fingerprint).execute()),
                "releasing an idempotency key");
    }

    @Override
    public Mono<Long> purgeExpired() {
        String sql = "DELETE FROM " + table + " WHERE expires_at <= now()";
        return run(connection -> Flux.from(connection.createStatement(sql).execute())
                        .concatMap(Result::getRowsUpdated)
                        .reduce(0L, Long::sum),
                "purging expired idempotency keys");
    }

    private static void bindText(Statement statement, int index, String value) {
        if (value == null) {
            statement.bindNull(index, String.class);
        } else {
            statement.bind(index, value);
        }
    }

    private <T> Mono<T> run(Function<Connection, Mono<T>> work, String activity) {
        return Mono.usingWhen(connections.create(), work, Connection::close, (c, e) -> c.close(), Connection::close)
                .onErrorMap(R2dbcException.class, e -> new StoreUnavailableException(activity, e));
    }

    private static Mono<Void> drain(Publisher<? extends Result> results) {
        return Flux.from(results).concatMap(Result::getRowsUpdated).then();
    }
}
