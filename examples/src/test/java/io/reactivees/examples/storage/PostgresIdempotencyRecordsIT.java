package io.reactivees.examples.storage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.StoredAnswer;
import io.reactivees.r2dbc.PostgresTestDatabase;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The idempotency records' table on PostgreSQL: one winner of concurrent claims, answers kept, expiry and purging. */
class PostgresIdempotencyRecordsIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final StoredAnswer CREATED = new StoredAnswer(201, "application/json", "/accounts/1",
            "{\"id\":1}".getBytes(StandardCharsets.UTF_8));

    private final String schema = PostgresTestDatabase.newSchema();
    private final ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(PostgresTestDatabase.connectionFactory())
            .initialSize(0).maxSize(8).build());

    @AfterEach
    void drop() {
        pool.disposeLater().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(schema);
    }

    private PostgresIdempotencyRecords records(Duration timeToLive, Duration inFlightTimeout) {
        PostgresTestDatabase.execute("CREATE SCHEMA IF NOT EXISTS \"" + schema + "\"");
        PostgresIdempotencyRecords records = new PostgresIdempotencyRecords(pool, schema, timeToLive, inFlightTimeout);
        records.migrate().then(records.migrate()).block(TIMEOUT); // idempotent
        return records;
    }

    /** Polls until {@code condition} holds, reactively; for expiry by the database's clock. */
    private static void await(String what, Mono<Boolean> condition) {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (!Boolean.TRUE.equals(condition.block(TIMEOUT))) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Mono.delay(Duration.ofMillis(20)).block();
        }
    }

    @Test
    void concurrentClaimsHaveOneWinnerAndTheAnswerIsKept() {
        PostgresIdempotencyRecords records = records(Duration.ofHours(1), Duration.ofMinutes(1));
        List<Claim> claims = Flux.range(0, 16).flatMap(i -> records.claim("k", "f"), 16).collectList().block(TIMEOUT);
        assertEquals(1, claims.stream().filter(Claim.Claimed.class::isInstance).count(), claims.toString());
        assertEquals(15, claims.stream().filter(Claim.InFlight.class::isInstance).count(), claims.toString());
        assertInstanceOf(Claim.Mismatch.class, records.claim("k", "other").block(TIMEOUT));

        records.complete("k", "f", CREATED).block(TIMEOUT);

        assertEquals(new Claim.Completed(CREATED), records.claim("k", "f").block(TIMEOUT));
        assertInstanceOf(Claim.Mismatch.class, records.claim("k", "other").block(TIMEOUT));
        records.release("k", "f").block(TIMEOUT); // an answered record is not released
        assertEquals(new Claim.Completed(CREATED), records.claim("k", "f").block(TIMEOUT));
    }

    @Test
    void aReleasedOrAbandonedClaimIsTakenAgain() {
        PostgresIdempotencyRecords records = records(Duration.ofHours(1), Duration.ofMillis(200));
        assertInstanceOf(Claim.Claimed.class, records.claim("r", "f").block(TIMEOUT));
        records.release("r", "f").block(TIMEOUT);
        assertInstanceOf(Claim.Claimed.class, records.claim("r", "f").block(TIMEOUT));
        await("the unanswered claim is abandoned", records.claim("r", "f2").map(Claim.Claimed.class::isInstance));
    }

    @Test
    void expiredRecordsArePurgedAndTheirKeysFree() {
        PostgresIdempotencyRecords records = records(Duration.ofMillis(300), Duration.ofMinutes(1));
        records.claim("old", "f").then(records.complete("old", "f", CREATED)).block(TIMEOUT);
        long[] purged = {0};
        await("the record expired and was purged", records.purgeExpired().map(n -> {
            purged[0] += n;
            return purged[0] > 0;
        }));
        assertEquals(1, purged[0]);
        assertInstanceOf(Claim.Claimed.class, records.claim("old", "another").block(TIMEOUT));
        assertTrue(records.purgeExpired().block(TIMEOUT) >= 0);
    }
}
