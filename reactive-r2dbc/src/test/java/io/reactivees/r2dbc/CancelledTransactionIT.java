package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Multi-stream commits and migrations cancelled at random moments (even while their BEGIN is in
 * flight) never hand an open transaction back to the pool: afterwards no session is left idle in a
 * transaction, and later appends on the same pooled connections are committed and visible to
 * everyone.
 */
class CancelledTransactionIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);
    private static final StreamId WITNESS = StreamId.of("acct", "witness");

    private PgTestSupport.StoreOnSchema on;
    private PostgresEventStore store;
    private PostgresEventStore other;

    @BeforeEach
    void freshStore() {
        on = PgTestSupport.newStore(options -> options.poolSize(0, 2));
        store = on.store;
    }

    @AfterEach
    void dropStore() {
        try {
            if (other != null) {
                other.close().block(TIMEOUT);
            }
        } finally {
            on.close();
        }
    }

    @Test
    void cancelledCommitsLeaveNoOpenTransactionInThePool() {
        StreamId a = StreamId.of("acct", "a");
        StreamId b = StreamId.of("acct", "b");
        Flux.range(0, 300)
                .concatMap(i -> store.appendAll(List.of(
                                StreamAppend.of(a, ExpectedVersion.any(), List.of(EventData.of("debited", "{}"))),
                                StreamAppend.of(b, ExpectedVersion.any(), List.of(EventData.of("credited", "{}")))))
                        .timeout(Duration.ofNanos(ThreadLocalRandom.current().nextLong(3_000_000)), Mono.empty())
                        .onErrorResume(e -> Mono.empty()))
                .then()
                .block(TIMEOUT);

        assertPooledConnectionsCommit();
        long pairs = otherStore().load(EventQuery.all()).filter(e -> !e.streamId().equals(WITNESS)).count().block(TIMEOUT);
        assertEquals(0, pairs % 2, "every multi-stream commit is all or nothing");
    }

    @Test
    void cancelledMigrationsLeaveNoOpenTransactionInThePool() {
        Flux.range(0, 300)
                .concatMap(i -> store.migrate()
                        .timeout(Duration.ofNanos(ThreadLocalRandom.current().nextLong(3_000_000)), Mono.empty())
                        .onErrorResume(e -> Mono.empty()))
                .then()
                .block(TIMEOUT);

        assertPooledConnectionsCommit();
    }

    /** A store on the same schema with a pool of its own, so only committed events count. */
    private PostgresEventStore otherStore() {
        if (other == null) {
            other = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                    .options(PostgresEventStoreOptions.builder().schema(store.options().schema()).poolSize(0, 1).build())
                    .build();
        }
        return other;
    }

    /** Appends through every pooled connection and checks each append was committed, not left in a transaction. */
    private void assertPooledConnectionsCommit() {
        for (int i = 0; i < 4; i++) {
            store.append(WITNESS, ExpectedVersion.exact(i), List.of(EventData.of("seen", "{}"))).block(TIMEOUT);
        }
        Long idleInTransaction = Flux.usingWhen(Mono.from(PostgresTestDatabase.connectionFactory().create()),
                        c -> Flux.from(c.createStatement("SELECT count(*) AS n FROM pg_stat_activity WHERE state LIKE 'idle in transaction%'"
                                        + " AND query LIKE '%" + store.options().schema() + "%'").execute())
                                .concatMap(r -> r.map((row, m) -> row.get("n", Long.class))),
                        c -> c.close())
                .blockLast(TIMEOUT);
        assertEquals(0L, idleInTransaction, "a pooled connection was left in an open transaction");
        assertEquals(4L, otherStore().streamVersion(WITNESS).block(TIMEOUT));
    }
}
