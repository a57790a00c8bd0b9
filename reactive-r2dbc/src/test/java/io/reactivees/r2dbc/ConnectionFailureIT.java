package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.r2dbc.pool.ConnectionPool;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The database ends the store's sessions: {@code pg_terminate_backend} on an append in the middle of
 * its transaction, on pooled connections at rest, and on the live tail's {@code LISTEN} connection.
 * No partial batch is ever left, a retry with the same event ids stores the batch once, and live
 * subscriptions lose nothing.
 */
class ConnectionFailureIT {

    private final String applicationName = PgTestSupport.applicationName("failure");
    private StoreOnSchema on;

    @AfterEach
    void close() {
        if (on != null) {
            on.close();
        }
    }

    private StoreOnSchema storeOnOwnPool(int poolSize, Duration pollInterval) {
        ConnectionPool pool = PgTestSupport.pool(PgTestSupport.namedFactory(applicationName), poolSize);
        on = PgTestSupport.newStore(pool, options -> options.pageSize(20).pollInterval(pollInterval)).owning(pool);
        return on;
    }

    private static List<EventData> batch(String type, int count) {
        return IntStream.rangeClosed(1, count)
                .mapToObj(i -> EventData.of(type, "{\"i\":" + i + "}"))
                .collect(Collectors.toList());
    }

    /** Waits for this schema's statement that waits for a row lock, and returns its backend's pid. */
    private int awaitBackendWaitingForLock() {
        return PgTestSupport.awaitValue("a statement of the store waits for the row lock", () -> PgTestSupport.queryAsync(
                        "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND application_name = $1", applicationName)
                .flatMap(rows -> rows.isEmpty() ? Mono.empty() : Mono.just((Integer) rows.get(0).get("pid"))));
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS));
        return e.getCause();
    }

    private long storedOf(List<EventData> events) {
        try (RawSession sql = new RawSession()) {
            return (Long) sql.value("SELECT count(*) FROM " + on.table("events") + " WHERE event_id = ANY($1::uuid[])",
                    (Object) events.stream().map(e -> e.eventId().toString()).toArray(String[]::new));
        }
    }

    @Nested
    class AnAppendTerminatedMidTransaction {

        @Test
        void storesNothingAndTheRetryWithTheSameIdsStoresTheBatchOnce() throws Exception {
            storeOnOwnPool(4, Duration.ofSeconds(1));
            StreamId stream = StreamId.of("acct", "1");
            on.store.append(stream, ExpectedVersion.noStream(), batch("opened", 1)).block(TIMEOUT);
            List<EventData> deposits = batch("deposited", 3);

            CompletableFuture<AppendResult> cut;
            try (RawSession lock = new RawSession()) {
                lock.begin();
                lock.query("SELECT version FROM " + on.table("streams") + " WHERE stream_id = 'acct-1' FOR UPDATE");
                cut = on.store.append(stream, ExpectedVersion.exact(1), deposits).toFuture();
                PgTestSupport.terminate(awaitBackendWaitingForLock());
                lock.rollback();
            }

            assertInstanceOf(StoreUnavailableException.class, failureOf(cut));
            assertEquals(0, storedOf(deposits), "nothing of the batch is stored");
            assertEquals(1L, on.store.streamVersion(stream).block(TIMEOUT));

            AppendResult retried = on.store.append(stream, ExpectedVersion.exact(1), deposits).block(TIMEOUT);
            assertEquals(new AppendResult(stream, 1, 4, retried.position()), retried);
            AppendResult retriedAgain = on.store.append(stream, ExpectedVersion.exact(1), deposits).block(TIMEOUT);
            assertEquals(retried, retriedAgain, "a second retry answers the original result");
            assertEquals(3, storedOf(deposits));
            assertEquals(4, on.loadAll().size());
        }

        @Test
        void aMultiStreamAppendCutAfterItsFirstClaimLeavesNoPartOfTheCommit() throws Exception {
            storeOnOwnPool(4, Duration.ofSeconds(1));
            StreamId first = StreamId.of("acct", "a");
            StreamId second = StreamId.of("acct", "b");
            on.store.append(first, ExpectedVersion.noStream(), batch("opened", 1)).block(TIMEOUT);
            on.store.append(second, ExpectedVersion.noStream(), batch("opened", 1)).block(TIMEOUT);
            List<EventData> debits = batch("debited", 2);
            List<EventData> credits = batch("credited", 1);
            List<StreamAppend> transfer = List.of(
                    StreamAppend.of(second, ExpectedVersion.exact(1), credits),
                    StreamAppend.of(first, ExpectedVersion.exact(1), debits));

            CompletableFuture<List<AppendResult>> cut;
            try (RawSession lock = new RawSession()) {
                // streams are claimed in id order: a is claimed, then the commit waits for b
                lock.begin();
                lock.query("SELECT version FROM " + on.table("streams") + " WHERE stream_id = 'acct-b' FOR UPDATE");
                cut = on.store.appendAll(transfer).toFuture();
                int pid = awaitBackendWaitingForLock();
                try (RawSession sql = new RawSession()) {
                    assertEquals(true, sql.value("SELECT backend_xid IS NOT NULL FROM pg_stat_activity WHERE pid = $1", pid),
                            "the commit has written its claim of a when it is cut");
                }
                PgTestSupport.terminate(pid);
                lock.rollback();
            }

            assertInstanceOf(StoreUnavailableException.class, failureOf(cut));
            assertEquals(0, storedOf(debits) + storedOf(credits), "nothing of the commit is stored");
            assertEquals(1L, on.store.streamVersion(first).block(TIMEOUT), "the claim of a was rolled back");
            assertEquals(1L, on.store.streamVersion(second).block(TIMEOUT));

            List<AppendResult> retried = on.store.appendAll(transfer).block(TIMEOUT);
            assertEquals(List.of(new AppendResult(second, 1, 2, retried.get(0).position()),
                    new AppendResult(first, 1, 3, retried.get(1).position())), retried);
            assertEquals(retried, on.store.appendAll(transfer).block(TIMEOUT), "a second retry answers the original results");
            assertEquals(3, storedOf(debits) + storedOf(credits));
        }
    }

    @Nested
    class PooledConnectionsTerminatedAtRest {

        @Test
        void theStoresOwnPoolReplacesEveryTerminatedConnection() {
            on = PgTestSupport.newStore(PgTestSupport.namedFactory(applicationName), options -> options.poolSize(0, 3));
            assertKeepsWorkingAfterItsConnectionsAreTerminated();
        }

        @Test
        void aSuppliedPoolReplacesATerminatedConnection() {
            storeOnOwnPool(1, Duration.ofSeconds(1));
            assertKeepsWorkingAfterItsConnectionsAreTerminated();
        }

        private void assertKeepsWorkingAfterItsConnectionsAreTerminated() {
            StreamId stream = StreamId.of("acct", "1");
            on.store.append(stream, ExpectedVersion.noStream(), batch("opened", 1)).block(TIMEOUT);
            // open as many pooled connections as the pool allows, and leave them idle
            Flux.range(0, 6).flatMap(i -> on.store.load(EventQuery.all()).then(), 6).blockLast(TIMEOUT);
            List<Integer> pooled = pooledBackends();
            assertNotEquals(List.of(), pooled);

            pooled.forEach(PgTestSupport::terminate);

            on.store.append(stream, ExpectedVersion.exact(1), batch("deposited", 2)).block(TIMEOUT);
            assertEquals(3L, on.store.streamVersion(stream).block(TIMEOUT));
            assertEquals(3, on.loadAll().size());
            List<Integer> fresh = pooledBackends();
            assertEquals(List.of(), fresh.stream().filter(pooled::contains).toList(), "the terminated sessions were replaced");
        }

        private List<Integer> pooledBackends() {
            try (RawSession sql = new RawSession()) {
                return sql.query("SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query NOT LIKE 'LISTEN%'",
                                applicationName).stream()
                        .map(row -> (Integer) row.get("pid"))
                        .toList();
            }
        }
    }

    @Nested
    class TheListenConnectionTerminated {

        @Test
        void liveSubscriptionsGetEveryEventOnceInOrderAndTheListenerReconnects() throws Exception {
            // a poll interval far longer than the test: events arrive by notification, so the
            // tail depends on the LISTEN connection coming back
            storeOnOwnPool(4, Duration.ofMinutes(5));
            Collected live = on.follow(EventQuery.all());
            int firstListener = awaitListener(-1);

            // another store instance writes (as another application instance would): a store's own
            // commits wake its feed directly, so only another's reach it through the LISTEN connection
            PostgresEventStore writer = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                    .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 2).build())
                    .build();
            CompletableFuture<List<AppendResult>> writes = Flux.range(0, 240)
                    .concatMap(i -> writer.append(StreamId.of("acct", Integer.toString(i % 6)), ExpectedVersion.any(),
                            List.of(EventData.of("moved", "{\"i\":" + i + "}"))))
                    .collectList()
                    .doFinally(signal -> writer.close().subscribe())
                    .toFuture();

            live.awaitAtLeast(40);
            PgTestSupport.terminate(firstListener);
            int secondListener = awaitListener(firstListener);
            live.awaitAtLeast(120);
            PgTestSupport.terminate(secondListener);
            awaitListener(secondListener);

            assertEquals(240, writes.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS).size());
            List<RecordedEvent> history = on.loadAll();
            assertEquals(240, history.size());
            live.awaitAtLeast(history.size());
            List<RecordedEvent> delivered = live.snapshot();
            assertEquals(ids(history), ids(delivered), "every event exactly once, in order");
            assertStrictGlobalOrder(delivered);
        }

        /** Waits for the store's LISTEN backend other than {@code previous}; returns its pid. */
        private int awaitListener(int previous) {
            String listen = "LISTEN \"" + new SqlNames(on.schema).channel() + "\"";
            return PgTestSupport.awaitValue("the store listens (again)", () -> PgTestSupport.queryAsync(
                            "SELECT pid FROM pg_stat_activity WHERE query = $1 AND pid <> $2", listen, previous)
                    .flatMap(rows -> rows.isEmpty() ? Mono.empty() : Mono.just((Integer) rows.get(0).get("pid"))));
        }
    }
}
