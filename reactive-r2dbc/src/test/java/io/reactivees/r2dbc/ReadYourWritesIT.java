package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.ProjectionTimeoutException;
import io.reactivees.r2dbc.Database.Sql;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Waiting until a transactional projection has applied an append's position: it completes once the
 * read model holds the event, also on a replica that does not run the projection, and it fails with
 * a typed timeout while an older transaction holds the read horizon back (the projection never reads
 * past it).
 */
class ReadYourWritesIT {

    private StoreOnSchema on;
    private ProjectionRunner runner;

    @BeforeEach
    void start() {
        on = PgTestSupport.newStore(options -> options.pollInterval(Duration.ofMillis(50)));
        PostgresTestDatabase.execute("CREATE TABLE " + on.table("seen") + " (event_id uuid PRIMARY KEY)");
        runner = PostgresTransactionalProjection.runner(on.store, "seen", EventQuery.all(),
                        (event, connection) -> Database.run(connection, Sql.of("INSERT INTO " + on.table("seen") + " (event_id) VALUES ($1)",
                                event.eventId())))
                .backoff(Duration.ofMillis(20), Duration.ofMillis(200))
                .build();
        runner.start();
    }

    @AfterEach
    void stop() {
        runner.stop().block(TIMEOUT);
        on.close();
    }

    private AppendResult append(String id) {
        return on.store.append(StreamId.of("item", id), ExpectedVersion.any(), List.of(EventData.of("item.touched", "{}"))).block(TIMEOUT);
    }

    private long seen() {
        try (RawSession sql = new RawSession()) {
            return (Long) sql.value("SELECT count(*) FROM " + on.table("seen"));
        }
    }

    @Test
    void aWaitForTheAppendsPositionEndsWithTheEventInTheReadModel() {
        append("a");
        AppendResult last = append("b");
        runner.awaitApplied(last.position(), TIMEOUT).block(TIMEOUT);
        assertEquals(2L, seen());

        // A runner of another replica that is not running sees the checkpoint the first one moves.
        ProjectionRunner elsewhere = PostgresTransactionalProjection.runner(on.store, "seen", EventQuery.all(),
                (event, connection) -> reactor.core.publisher.Mono.error(new AssertionError("never runs"))).build();
        AppendResult third = append("c");
        elsewhere.awaitApplied(third.position(), TIMEOUT).block(TIMEOUT);
        assertEquals(3L, seen());
    }

    @Test
    void anOlderOpenTransactionMakesTheWaitTimeOutWithATypedError() {
        try (RawSession older = new RawSession()) {
            older.begin();
            older.xid(); // holds the cluster-wide horizon back from here
            AppendResult behind = append("behind");
            Throwable error = PgTestSupport.errorOf(runner.awaitApplied(behind.position(), Duration.ofMillis(500)));
            ProjectionTimeoutException timeout = assertInstanceOf(ProjectionTimeoutException.class, error);
            assertEquals(behind.position(), timeout.position());
            assertEquals(0L, seen(), "nothing read past the horizon");
            older.rollback();
            runner.awaitApplied(behind.position(), TIMEOUT).block(TIMEOUT);
            assertEquals(1L, seen());
        }
    }
}
