package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The global order is {@code (transaction id, sequence)}, and a transaction id is handed out at a
 * transaction's first write, not at its commit. A commit that waited for another must therefore not
 * have its id yet while it waits, or its events could land before those of the commit it waited
 * for: every commit takes its streams' locks before its first write. In every global read, a
 * stream's events come in version order.
 */
class StreamOrderInGlobalOrderIT {

    private static final StreamId A = StreamId.of("acct", "a");
    private static final StreamId B = StreamId.of("acct", "b");

    private StoreOnSchema on;

    @BeforeEach
    void twoStreams() {
        on = PgTestSupport.newStore(options -> options.pageSize(8).pollInterval(Duration.ofMillis(100)));
        on.store.append(A, ExpectedVersion.noStream(), List.of(EventData.of("a.opened", "{}"))).block(TIMEOUT);
        on.store.append(B, ExpectedVersion.noStream(), List.of(EventData.of("b.opened", "{}"))).block(TIMEOUT);
    }

    @AfterEach
    void close() {
        on.close();
    }

    @Test
    void aCommitWaitingForAStreamHoldsNoTransactionIdAndEachStreamStaysInVersionOrder() throws Exception {
        Collected live = on.follow(EventQuery.all());
        live.awaitAtLeast(2);
        EventData fromBoth = EventData.of("b.by-both", "{\"n\":3}");
        CompletableFuture<List<AppendResult>> both;
        CompletableFuture<AppendResult> alone;
        // another instance of the application on the same schema, with lanes of its own
        PostgresEventStore other = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 2).build())
                .build();
        try (RawSession lockA = new RawSession()) {
            // another commit holds stream a...
            lockA.holdStreamLock(on.schema, A);
            both = on.store.appendAll(List.of(
                            StreamAppend.of(A, ExpectedVersion.exact(1), List.of(EventData.of("a.by-both", "{\"n\":2}"))),
                            StreamAppend.of(B, ExpectedVersion.any(), List.of(fromBoth))))
                    .toFuture();
            // ...so the multi-stream commit waits for it, and has no transaction id while it waits
            int pid = PgTestSupport.awaitCommitWaitingForStreamLock(on.schema);
            assertEquals(true, lockA.value("SELECT backend_xid IS NULL FROM pg_stat_activity WHERE pid = $1", pid),
                    "a commit waiting for a stream lock has not written yet");

            // meanwhile the other instance appends to b (before or after the multi-stream commit)
            alone = other.append(B, ExpectedVersion.any(), List.of(EventData.of("b.alone", "{\"n\":2}"))).toFuture();
            lockA.rollback();
        }
        List<AppendResult> results = both.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        AppendResult byOther = alone.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        other.close().block(TIMEOUT);

        assertEquals(new AppendResult(A, 1, 2, results.get(0).position()), results.get(0));
        assertEquals(List.of(2L, 3L), java.util.stream.Stream.of(results.get(1).toVersion(), byOther.toVersion()).sorted().toList());
        on.awaitSettled();
        List<RecordedEvent> bInGlobalOrder = on.store.load(EventQuery.of(EventFilter.forStream(B))).collectList().block(TIMEOUT);
        assertEquals(List.of(1L, 2L, 3L), bInGlobalOrder.stream().map(RecordedEvent::streamVersion).toList(),
                "stream b's events in the global order");
        assertEquals(fromBoth.eventId(), bInGlobalOrder.get((int) results.get(1).toVersion() - 1).eventId());

        live.awaitAtLeast(5);
        List<RecordedEvent> delivered = live.snapshot();
        assertStrictGlobalOrder(delivered);
        assertEquals(on.loadAll(), delivered);
        assertStreamsInVersionOrder(delivered);
    }

    /** Asserts that each stream's events appear in {@code events} with versions 1, 2, 3, ... in turn. */
    static void assertStreamsInVersionOrder(List<RecordedEvent> events) {
        java.util.Map<StreamId, Long> last = new java.util.HashMap<>();
        for (RecordedEvent event : events) {
            long previous = last.getOrDefault(event.streamId(), 0L);
            assertTrue(event.streamVersion() == previous + 1, event.streamId() + " version " + event.streamVersion()
                    + " at " + event.position() + " follows version " + previous + " in the global order");
            last.put(event.streamId(), event.streamVersion());
        }
    }
}
