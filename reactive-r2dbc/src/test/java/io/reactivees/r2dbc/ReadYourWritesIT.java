package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.ProjectionTimeoutException;
import io.reactivees.r2dbc.Database.Sql;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * Waiting until a transactional projection has applied an append's position: it completes once the
 * read model holds the event, also on a replica that does not run the projection, and it fails with
 * a typed timeout while an older transaction holds the read horizon back (the projection never reads
 * past it). The wait of {@code load(query, through, timeout)} runs on the store's timer, and so on
 * virtual time in a test.
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
    void aLoadThroughAPositionIncludesItOnceTheHorizonHasPassed() {
        append("a");
        AppendResult last = append("b");
        List<io.reactivees.core.RecordedEvent> loaded = on.store.load(EventQuery.all(), last.position(), TIMEOUT).collectList().block(TIMEOUT);
        assertEquals(last.position(), loaded.get(loaded.size() - 1).position());
        assertEquals(2, loaded.size());
    }

    @Test
    void anOlderOpenTransactionMakesTheLoadThroughTimeOutWithATypedErrorAndTheLagCountsWhatCanBeRead() {
        ProjectionRunner idle = PostgresTransactionalProjection.runner(on.store, "idle", EventQuery.all(),
                (event, connection) -> reactor.core.publisher.Mono.error(new AssertionError("never runs"))).build();
        try (RawSession older = new RawSession()) {
            older.begin();
            long xid = older.xid(); // holds the cluster-wide horizon back from here
            AppendResult behind = append("behind");
            List<Object> emitted = new java.util.concurrent.CopyOnWriteArrayList<>();
            Throwable error = PgTestSupport.errorOf(on.store.load(EventQuery.all(), behind.position(), Duration.ofMillis(500))
                    .doOnNext(emitted::add).then());
            ReadHorizonTimeoutException timeout = assertInstanceOf(ReadHorizonTimeoutException.class, error);
            assertEquals(behind.position(), timeout.position());
            assertTrue(timeout.horizon() <= xid, "the horizon seen is held by the open transaction: " + timeout.horizon());
            assertEquals(List.of(), emitted, "nothing read past the horizon");
            assertEquals(0L, idle.lag().block(TIMEOUT), "the lag counts only what the horizon has passed");
            older.rollback();
            List<io.reactivees.core.RecordedEvent> loaded = on.store.load(EventQuery.all(), behind.position(), TIMEOUT).collectList().block(TIMEOUT);
            assertEquals(List.of(behind.position()), loaded.stream().map(io.reactivees.core.RecordedEvent::position).toList());
            assertEquals(1L, idle.lag().block(TIMEOUT));
        }
    }

    @Test
    void theLoadThroughChecksTheHorizonOnTheStoresTimerAndTimesOutExactlyAtItsTimeout() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        PostgresEventStore timed = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 2).build())
                .timer(time)
                .build();
        try (RawSession older = new RawSession()) {
            older.begin();
            older.xid(); // holds the horizon back
            AppendResult behind = append("behind");
            CompletableFuture<List<RecordedEvent>> timedOut = timed.load(EventQuery.all(), behind.position(), Duration.ofSeconds(5))
                    .collectList().toFuture();
            settle(); // the first check, at once
            time.advanceTimeBy(Duration.ofMillis(4_990));
            settle();
            assertFalse(timedOut.isDone(), "still waiting 10 ms before the timeout");
            time.advanceTimeBy(Duration.ofMillis(10));
            PgTestSupport.awaitTrue("the wait ends at its timeout", timedOut::isDone);
            ExecutionException failure = assertThrows(ExecutionException.class, timedOut::get);
            assertInstanceOf(ReadHorizonTimeoutException.class, failure.getCause());

            CompletableFuture<List<RecordedEvent>> released = timed.load(EventQuery.all(), behind.position(), Duration.ofSeconds(5))
                    .collectList().toFuture();
            settle();
            assertFalse(released.isDone());
            older.rollback();
            time.advanceTimeBy(Duration.ofMillis(20)); // the next check sees the horizon past the append
            PgTestSupport.awaitTrue("the load runs once the horizon has passed", released::isDone);
            assertEquals(List.of(behind.position()), released.join().stream().map(RecordedEvent::position).toList());
        } finally {
            timed.close().block(TIMEOUT);
            time.dispose();
        }
    }

    /** Lets what the last clock step started (a horizon check) run its course in real time. */
    private static void settle() {
        reactor.core.publisher.Mono.delay(Duration.ofMillis(300)).block(TIMEOUT);
    }

    @Test
    void aLoadThroughRefusesBadArguments() {
        assertThrows(NullPointerException.class, () -> on.store.load(EventQuery.all(), null, TIMEOUT));
        assertThrows(IllegalArgumentException.class, () -> on.store.load(EventQuery.all(), io.reactivees.core.Position.START, Duration.ofSeconds(-1)));
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
