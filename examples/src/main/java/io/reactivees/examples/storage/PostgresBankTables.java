package io.reactivees.examples.storage;

import io.r2dbc.spi.Connection;
import io.reactivees.examples.bank.AccountChange;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.idempotency.StoredAnswer;
import java.time.Duration;
import java.util.Objects;
import reactor.core.publisher.Mono;

/**
 * The bank's own tables beside the event store's, on PostgreSQL: the accounts read model and the
 * idempotency records. They are created on first use, not at start, so that a database that is away
 * neither fails nor holds up the start (as the starter's own migration does not); every operation
 * waits for the creation, which runs until it succeeds once and then completes at once.
 *
 * @param summaries the read model's table
 * @param records the idempotency records' table
 * @param created creates both tables (and the schema, if the store has not yet); cached once it succeeds
 */
record PostgresBankTables(PostgresAccountSummaries summaries, PostgresIdempotencyRecords records, Mono<Void> created) {

    PostgresBankTables {
        Objects.requireNonNull(summaries, "summaries must not be null");
        Objects.requireNonNull(records, "records must not be null");
        Objects.requireNonNull(created, "created must not be null");
    }

    /**
     * @param summaries the read model's table
     * @param records the idempotency records' table
     * @return the tables, created at first use
     */
    static PostgresBankTables of(PostgresAccountSummaries summaries, PostgresIdempotencyRecords records) {
        Mono<Void> created = summaries.migrate().then(records.migrate()).thenReturn(Boolean.TRUE)
                // keep success forever, try again after a failure
                .cache(done -> Duration.ofMillis(Long.MAX_VALUE), error -> Duration.ZERO, () -> Duration.ZERO)
                .then();
        return new PostgresBankTables(summaries, records, created);
    }

    /** @return the read model, waiting for its table before each read */
    AccountSummaries readModel() {
        return () -> created.thenMany(summaries.findAll());
    }

    /**
     * Applies one account event through the projection's transaction, once the table exists.
     *
     * @param change the event
     * @param connection the projection's connection, inside its transaction
     * @return a {@code Mono} that completes once written
     */
    Mono<Void> apply(AccountChange change, Connection connection) {
        return created.then(summaries.apply(change, connection));
    }

    /** @return the idempotency records, waiting for their table before each operation */
    IdempotencyRecords idempotency() {
        return new IdempotencyRecords() {
            @Override
            public Mono<Claim> claim(String key, String fingerprint) {
                return created.then(records.claim(key, fingerprint));
            }

            @Override
            public Mono<Void> complete(String key, String fingerprint, StoredAnswer answer) {
                return created.then(records.complete(key, fingerprint, answer));
            }

            @Override
            public Mono<Void> release(String key, String fingerprint) {
                return created.then(records.release(key, fingerprint));
            }

            @Override
            public Mono<Long> purgeExpired() {
                return created.then(records.purgeExpired());
            }
        };
    }
}
