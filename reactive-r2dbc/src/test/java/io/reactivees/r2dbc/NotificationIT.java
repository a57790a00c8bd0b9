package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.assertStrictGlobalOrder;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Commits notify after they commit, never inside their transaction (PostgreSQL would serialize all
 * notifying commits on one lock): the committing store wakes its own feed, the other stores that
 * listen hear of it through a coalesced {@code NOTIFY}, nothing is sent while no other store
 * listens, and a store ignores its own notifications. The poll interval here is far longer than the
 * tests, so nothing they see comes from the timer.
 */
class NotificationIT {

    private static final Duration NO_POLL = Duration.ofMinutes(10);

    private CountingConnectionFactory counting;
    private StoreOnSchema on;
    private Listener listener;

    @BeforeEach
    void store() {
        counting = new CountingConnectionFactory(PostgresTestDatabase.connectionFactory());
        ConnectionPool pool = PgTestSupport.pool(counting, 10);
        on = PgTestSupport.newStore(pool, options -> options.pageSize(50).pollInterval(NO_POLL)).owning(pool);
    }

    @AfterEach
    void close() {
        if (listener != null) {
            listener.close();
        }
        on.close();
    }

    @Test
    void noStatementThatWritesEventsNotifies() {
        listener = listeningStore();
        append(StreamId.of("one", "1"), 3);
        on.store.appendAll(List.of(
                StreamAppend.of(StreamId.of("many", "1"), ExpectedVersion.any(), events(2)),
                StreamAppend.of(StreamId.of("many", "2"), ExpectedVersion.any(), events(2)))).block(TIMEOUT);

        assertEquals(0, counting.count(sql -> sql.contains("INSERT") && sql.contains("pg_notify")));
        PgTestSupport.awaitTrue("a notification was sent after the commits", () -> notifications() >= 1);
    }

    @Test
    void aBurstOfCommitsCostsFewNotifications() {
        listener = listeningStore();
        long started = System.nanoTime();
        List<AppendResult> written = Flux.range(0, 400)
                .flatMap(i -> on.store.append(StreamId.of("burst", Integer.toString(i)), ExpectedVersion.noStream(), events(1)), 16)
                .collectList()
                .block(TIMEOUT);
        double elapsedMs = (System.nanoTime() - started) / 1e6;

        assertEquals(400, written.size());
        long sent = notifications();
        // one at once, then at most one per spacing while commits keep coming, and one trailing
        long bound = 2 + (long) Math.ceil(elapsedMs / CommitNotifier.SPACING.toMillis());
        assertTrue(sent >= 1 && sent <= bound, sent + " notifications for 400 commits in " + elapsedMs + " ms; at most " + bound);
        assertTrue(sent < 400, "coalesced: " + sent);
        listener.live.awaitAtLeast(400);
    }

    @Test
    void nothingIsSentWhileNoOtherStoreListens() {
        Collected live = on.follow(EventQuery.all()); // the store's own listener does not count
        PgTestSupport.await("the store listens", () -> listeners().map(n -> n > 0));
        long started = System.nanoTime();
        for (int i = 1; i <= 20; i++) {
            append(StreamId.of("alone", Integer.toString(i)), 1);
            live.awaitAtLeast(i);
        }
        double elapsedSeconds = (System.nanoTime() - started) / 1e9;

        assertEquals(0, counting.count(sql -> sql.contains("pg_notify") && !sql.contains("pg_locks")), "no plain notification");
        long counts = listenerCounts();
        long bound = 2 + (long) Math.ceil(elapsedSeconds / CommitNotifier.LISTENER_CHECK.toSeconds());
        assertTrue(counts >= 1 && counts <= bound, counts + " listener counts in " + elapsedSeconds + " s; at most " + bound);
    }

    @Test
    void aStoreThatStartsListeningIsNotifiedOnceTheListenersAreCountedAgain() {
        append(StreamId.of("before", "0"), 1); // the notifier counts the listeners: none yet
        PgTestSupport.awaitTrue("the listeners were counted", () -> listenerCounts() >= 1);
        long counted = System.nanoTime();
        listener = listeningStore();
        listener.live.awaitAtLeast(1); // its catch-up read

        PgTestSupport.awaitTrue("the count is due again", () -> System.nanoTime() - counted > CommitNotifier.LISTENER_CHECK.toNanos());
        append(StreamId.of("after", "0"), 1);

        listener.live.awaitAtLeast(2); // by notification: the poll is minutes away
        assertEquals(ids(on.loadAll()), ids(listener.live.snapshot()));
    }

    @Test
    void anotherStoreOnTheSchemaDeliversCommitsByNotification() {
        listener = listeningStore();
        for (int i = 1; i <= 20; i++) {
            append(StreamId.of("acct", Integer.toString(i % 3)), 1);
            listener.live.awaitAtLeast(i); // each commit arrives before the next one is made: by notification
        }
        List<RecordedEvent> delivered = listener.live.snapshot();
        assertEquals(ids(on.loadAll()), ids(delivered));
        assertStrictGlobalOrder(delivered);
    }

    @Test
    void aStoreWakesItsOwnFeedOnceAndIgnoresItsOwnNotification() {
        listener = listeningStore(); // so that the store notifies at all
        Collected live = on.follow(EventQuery.all());
        append(StreamId.of("own", "0"), 1);
        live.awaitAtLeast(1);
        PgTestSupport.awaitTrue("the store's first notification was sent", () -> notifications() >= 1);

        for (int i = 1; i <= 10; i++) {
            long feedReadsBefore = feedReads();
            long notificationsBefore = notifications();
            append(StreamId.of("own", Integer.toString(i)), 1);
            live.awaitAtLeast(i + 1);
            PgTestSupport.awaitTrue("commit " + i + " was notified", () -> notifications() > notificationsBefore);
            assertEquals(1, feedReads() - feedReadsBefore, "one read per commit: its own notification woke nothing");
        }
        assertEquals(ids(on.loadAll()), ids(live.snapshot()));
    }

    private void append(StreamId stream, int count) {
        on.store.append(stream, ExpectedVersion.any(), events(count)).block(TIMEOUT);
    }

    private static List<EventData> events(int count) {
        return IntStream.range(0, count).mapToObj(i -> EventData.of("happened", "{\"i\":" + i + "}")).toList();
    }

    /** Statements that notify (or would, had they counted a listener). */
    private long notifications() {
        return counting.count(sql -> sql.contains("pg_notify"));
    }

    /** Statements that count the other stores' listeners. */
    private long listenerCounts() {
        return counting.count(sql -> sql.contains("pg_notify") && sql.contains("pg_locks"));
    }

    /** The feed's reads: pages of the whole log below the current horizon. */
    private long feedReads() {
        return counting.count(sql -> sql.contains("pg_snapshot_xmin") && sql.contains("LATERAL"));
    }

    /** A second store on the schema, following the whole log, listening once this returns. */
    private Listener listeningStore() {
        long listenersBefore = listeners().block(TIMEOUT);
        PostgresEventStore other = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 2).pollInterval(NO_POLL).build())
                .build();
        Collected live = new Collected();
        Disposable subscription = other.subscribe(EventQuery.all()).subscribe(live.events::add, live::fail);
        PgTestSupport.await("the other store listens", () -> listeners().map(n -> n > listenersBefore));
        return new Listener(other, live, subscription);
    }

    private record Listener(PostgresEventStore store, Collected live, Disposable subscription) {
        void close() {
            subscription.dispose();
            store.close().block(TIMEOUT);
        }
    }

    /** Sessions that have run LISTEN on the schema's channel and still hold its listeners' lock. */
    private Mono<Long> listeners() {
        String listen = "LISTEN \"" + new SqlNames(on.schema).channel() + "\"";
        return PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_stat_activity WHERE query = $1", listen)
                .map(rows -> (Long) rows.get(0).get("n"));
    }
}
