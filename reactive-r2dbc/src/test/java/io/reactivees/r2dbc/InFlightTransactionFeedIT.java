package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * An open transaction that has written events holds the feed back: events committed after it began
 * (with later transaction ids) are not delivered until it ends, so nothing is ever delivered behind
 * a position already handed out. When it commits its events come first; when it rolls back, which
 * sends no notification, the timer poll releases the later events.
 *
 * <p>The tests count the feed's horizon queries, so "not delivered while open" is checked after
 * the feed has demonstrably looked several times, not after a guessed sleep.
 */
class InFlightTransactionFeedIT {

    private static final int POLLS_WHILE_HELD = 6;

    private CountingConnectionFactory counting;
    private StoreOnSchema on;
    private List<UUID> before;

    @BeforeEach
    void storeWithSomeHistory() {
        counting = new CountingConnectionFactory(PostgresTestDatabase.connectionFactory());
        ConnectionPool pool = PgTestSupport.pool(counting, 10);
        on = PgTestSupport.newStore(pool, options -> options.pageSize(4).pollInterval(Duration.ofMillis(100)))
                .owning(pool);
        before = appendEach("before", 3).stream().map(r -> r.eventIds).flatMap(List::stream).toList();
    }

    @AfterEach
    void close() {
        on.close();
    }

    @Test
    void anOpenTransactionDelaysLaterCommitsAndItsEventsComeFirstAfterCommit() {
        Collected all = on.follow(EventQuery.all());
        Collected laterOnly = on.follow(EventQuery.of(EventFilter.forCategory("later")));
        all.awaitAtLeast(3);
        UUID held1 = UUID.randomUUID();
        UUID held2 = UUID.randomUUID();
        List<Appended> later;

        try (RawSession held = new RawSession()) {
            long xid = holdTransactionWithEvents(held, held1, held2);

            later = appendEach("later", 5);
            for (Appended appended : later) {
                assertTrue(appended.result.position().commit() > xid, "later commit has a later transaction id");
            }

            Collected joinedWhileHeld = on.follow(EventQuery.all());
            awaitFeedPolls();
            assertEventually("the feed counts the held-back events", () -> on.store.feedStatus().map(FeedStatus::eventsBehind), 5L);

            assertEquals(before, ids(all.snapshot()), "nothing after the open transaction is delivered");
            assertEquals(List.of(), laterOnly.snapshot());
            assertEquals(before, ids(joinedWhileHeld.snapshot()), "a subscription joining meanwhile stops at the same place");
            assertEquals(before, ids(on.store.load(EventQuery.all()).collectList().block(TIMEOUT)), "load stops there too");

            held.commit();
        }

        List<UUID> expected = Stream.of(before, List.of(held1, held2), laterIds(later)).flatMap(List::stream).toList();
        all.awaitAtLeast(expected.size());
        laterOnly.awaitAtLeast(5);
        List<RecordedEvent> delivered = all.snapshot();
        assertEquals(expected, ids(delivered), "the held events first, then the later ones, each once");
        assertStrictGlobalOrder(delivered);
        assertEquals(laterIds(later), ids(laterOnly.snapshot()));
        assertEquals(delivered, on.loadAll());
        assertNull(all.error);
    }

    @Test
    void aRolledBackTransactionReleasesTheFeedWithoutANotification() {
        Collected all = on.follow(EventQuery.all());
        all.awaitAtLeast(3);
        List<Appended> later;

        try (RawSession held = new RawSession()) {
            holdTransactionWithEvents(held, UUID.randomUUID(), UUID.randomUUID());
            later = appendEach("later", 4);
            awaitFeedPolls();
            assertEquals(before, ids(all.snapshot()), "nothing after the open transaction is delivered");

            held.rollback(); // sends no notification: only the timer poll can see the horizon move
        }

        List<UUID> expected = Stream.of(before, laterIds(later)).flatMap(List::stream).toList();
        all.awaitAtLeast(expected.size());
        List<RecordedEvent> delivered = all.snapshot();
        assertEquals(expected, ids(delivered), "the later events, each once, and nothing of the rolled-back transaction");
        assertStrictGlobalOrder(delivered);
        assertEquals(delivered, on.loadAll());
        assertEquals(null, on.store.streamVersion(StreamId.of("held", "1")).block(TIMEOUT));
    }

    @Test
    void aTransactionThatHasNotWrittenYetDoesNotHoldTheFeed() {
        Collected all = on.follow(EventQuery.all());
        all.awaitAtLeast(3);

        try (RawSession reader = new RawSession()) {
            reader.begin();
            reader.query("SELECT count(*) FROM " + on.table("events")); // a snapshot, but no transaction id
            List<Appended> later = appendEach("later", 3);

            List<UUID> expected = Stream.of(before, laterIds(later)).flatMap(List::stream).toList();
            all.awaitAtLeast(expected.size());
            assertEquals(expected, ids(all.snapshot()));
            reader.rollback();
        }
    }

    /**
     * Begins a transaction on {@code held} that gets a transaction id and writes stream
     * {@code held-1} with two events, the way any writer could; returns its transaction id.
     */
    private long holdTransactionWithEvents(RawSession held, UUID first, UUID second) {
        held.begin();
        long xid = held.xid();
        held.update("INSERT INTO " + on.table("streams") + " (stream_id, category, version) VALUES ('held-1', 'held', 2)");
        PgTestSupport.insertRawEvent(held, on, first, "held-1", "held", 1, "held.one", "{\"n\":1}");
        PgTestSupport.insertRawEvent(held, on, second, "held-1", "held", 2, "held.two", "{\"n\":2}");
        return xid;
    }

    /** Waits until the live feed has read the horizon several more times than now. */
    private void awaitFeedPolls() {
        long now = horizonQueries();
        PgTestSupport.awaitTrue("the feed polled " + POLLS_WHILE_HELD + " more times",
                () -> horizonQueries() >= now + POLLS_WHILE_HELD);
    }

    private long horizonQueries() {
        return counting.count(sql -> sql.contains("pg_snapshot_xmin"));
    }

    private static void assertEventually(String what, Supplier<Mono<Long>> value, long expected) {
        PgTestSupport.await(what + " (" + expected + ")", () -> value.get().map(v -> v == expected));
    }

    private record Appended(AppendResult result, List<UUID> eventIds) {}

    /** Appends one event to each of {@code count} streams {@code category-1..count}, one commit each. */
    private List<Appended> appendEach(String category, int count) {
        List<Appended> appended = new ArrayList<>();
        for (int i = 1; i <= count; i++) {
            EventData event = EventData.of(category + ".happened", "{\"i\":" + i + "}");
            AppendResult result = on.store.append(StreamId.of(category, Integer.toString(i)), ExpectedVersion.noStream(), List.of(event))
                    .block(TIMEOUT);
            appended.add(new Appended(result, List.of(event.eventId())));
        }
        return appended;
    }

    private static List<UUID> laterIds(List<Appended> later) {
        return later.stream().flatMap(a -> a.eventIds.stream()).toList();
    }
}
