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
 * transaction's first write, not at its commit. A multi-stream commit that got its id and then
 * waited for a lock must still not put its events of a stream before events another commit wrote
 * to that stream meanwhile: in every global read, a stream's events come in version order.
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
    void aMultiStreamCommitThatWaitedAfterGettingItsTransactionIdKeepsEachStreamInVersionOrder() throws Exception {
        Collected live = on.follow(EventQuery.all());
        live.awaitAtLeast(2);
        EventData fromBoth = EventData.of("b.by-both", "{\"n\":3}");
        CompletableFuture<List<AppendResult>> both;

        try (RawSession lockA = new RawSession()) {
            // something holds stream a's row, so the commit below claims nothing yet...
            lockA.begin();
            lockA.query("SELECT version FROM " + on.table("streams") + " WHERE stream_id = 'acct-a' FOR UPDATE");

            // ...but its conditional UPDATE of a has already been given a transaction id when it starts waiting
            both = on.store.appendAll(List.of(
                            StreamAppend.of(A, ExpectedVersion.exact(1), List.of(EventData.of("a.by-both", "{\"n\":2}"))),
                            StreamAppend.of(B, ExpectedVersion.any(), List.of(fromBoth))))
                    .toFuture();
            PgTestSupport.await("the multi-stream commit waits for stream a with a transaction id", () -> PgTestSupport.queryAsync(
                            "SELECT count(*) AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
                                    + " AND backend_xid IS NOT NULL AND query LIKE '%' || $1 || '%'", on.schema)
                    .map(rows -> (Long) rows.get(0).get("n") == 1));

            // meanwhile another commit, with a later transaction id, appends to b and commits
            on.store.append(B, ExpectedVersion.any(), List.of(EventData.of("b.alone", "{\"n\":2}"))).block(TIMEOUT);

            lockA.rollback();
        }
        List<AppendResult> results = both.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

        assertEquals(new AppendResult(B, 2, 3, results.get(1).position()), results.get(1));
        on.awaitSettled();
        List<RecordedEvent> bInGlobalOrder = on.store.load(EventQuery.of(EventFilter.forStream(B))).collectList().block(TIMEOUT);
        assertEquals(List.of(1L, 2L, 3L), bInGlobalOrder.stream().map(RecordedEvent::streamVersion).toList(),
                "stream b's events in the global order");
        assertEquals(fromBoth.eventId(), bInGlobalOrder.get(2).eventId());

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
