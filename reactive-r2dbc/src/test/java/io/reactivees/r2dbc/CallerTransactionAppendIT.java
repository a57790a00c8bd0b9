package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.IsolationLevel;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * {@link PostgresEventStore#appendInTransaction}: the append commits or rolls back with the caller's
 * own transaction, with the store's checks and outcomes, and live subscriptions see it once the
 * caller has committed and run {@link PostgresEventStore#afterCommit()}.
 */
class CallerTransactionAppendIT {

    private static final StreamId ORDER = StreamId.of("order", "1");

    private StoreOnSchema on;

    @BeforeEach
    void store() {
        // a poll far longer than the test: only afterCommit() can wake the live tail in time
        on = PgTestSupport.newStore(options -> options.pollInterval(Duration.ofMinutes(10)));
    }

    @AfterEach
    void close() {
        on.close();
    }

    private static List<StreamAppend> placed(ExpectedVersion expected, EventData... events) {
        return List.of(StreamAppend.of(ORDER, expected, List.of(events)));
    }

    @Test
    void anAppendCommitsWithTheCallersTransactionAndReachesLiveSubscriptionsAfterCommit() {
        Collected live = on.follow(EventQuery.all());
        EventData placed = EventData.of("order.placed", "{}");
        try (RawSession caller = new RawSession()) {
            caller.begin();
            caller.update("CREATE TABLE " + on.schema + ".outbox (note text)");
            caller.update("INSERT INTO " + on.schema + ".outbox VALUES ('written with the event')");
            List<AppendResult> results = on.store.appendInTransaction(caller.connection,
                    List.of(StreamAppend.of(ORDER, ExpectedVersion.noStream(), List.of(placed)))).block(TIMEOUT);
            assertEquals(new AppendResult(ORDER, 0, 1, results.get(0).position()), results.get(0));
            assertEquals(Boolean.FALSE, on.store.streamVersion(ORDER).hasElement().block(TIMEOUT), "not visible before the commit");
            caller.commit();
        }
        on.store.afterCommit().block(TIMEOUT);
        live.awaitAtLeast(1);
        assertEquals(placed.eventId(), live.snapshot().get(0).eventId());
        assertEquals(1L, on.store.streamVersion(ORDER).block(TIMEOUT));
    }

    @Test
    void anAppendRolledBackWithTheCallersTransactionLeavesNothing() {
        EventData placed = EventData.of("order.placed", "{}");
        try (RawSession caller = new RawSession()) {
            caller.begin();
            on.store.appendInTransaction(caller.connection, placed(ExpectedVersion.noStream(), placed)).block(TIMEOUT);
            caller.rollback();
        }
        assertEquals(Boolean.FALSE, on.store.streamVersion(ORDER).hasElement().block(TIMEOUT));
        assertEquals(List.of(), on.loadAll());
        // the ids are free again: the store's own append takes them
        assertEquals(1, on.store.append(ORDER, ExpectedVersion.noStream(), List.of(placed)).block(TIMEOUT).toVersion());
    }

    @Test
    void aConflictFailsTheAppendAloneAndTheTransactionStaysUsable() {
        on.store.append(ORDER, ExpectedVersion.noStream(), List.of(EventData.of("order.placed", "{}"))).block(TIMEOUT);
        try (RawSession caller = new RawSession()) {
            caller.begin();
            Throwable conflict = PgTestSupport.errorOf(
                    on.store.appendInTransaction(caller.connection, placed(ExpectedVersion.noStream(), EventData.of("order.placed", "{}"))));
            assertEquals(1, assertInstanceOf(ConcurrencyConflictException.class, conflict).actualVersion());
            List<AppendResult> retried = on.store.appendInTransaction(caller.connection,
                    placed(ExpectedVersion.exact(1), EventData.of("order.paid", "{}"))).block(TIMEOUT);
            assertEquals(2, retried.get(0).toVersion());
            caller.commit();
        }
        assertEquals(List.of("order.placed", "order.paid"),
                on.store.readStream(ORDER).map(RecordedEvent::type).collectList().block(TIMEOUT));
    }

    @Test
    void anyIsolationButReadCommittedIsRefusedAndWritesNothing() {
        for (IsolationLevel level : List.of(IsolationLevel.REPEATABLE_READ, IsolationLevel.SERIALIZABLE)) {
            try (RawSession caller = new RawSession()) {
                Mono.from(caller.connection.beginTransaction(level)).block(TIMEOUT);
                Throwable refused = PgTestSupport.errorOf(
                        on.store.appendInTransaction(caller.connection, placed(ExpectedVersion.any(), EventData.of("order.placed", "{}"))));
                assertInstanceOf(StoreConfigurationException.class, refused, level.toString());
                assertTrue(refused.getMessage().contains("READ COMMITTED"), refused.getMessage());
                caller.rollback();
            }
        }
        assertEquals(Boolean.FALSE, on.store.streamVersion(ORDER).hasElement().block(TIMEOUT));
    }

    @Test
    void badArgumentsFailAtCallTime() {
        try (RawSession caller = new RawSession()) {
            assertThrows(NullPointerException.class, () -> on.store.appendInTransaction(null, placed(ExpectedVersion.any(),
                    EventData.of("order.placed", "{}"))));
            assertThrows(IllegalArgumentException.class, () -> on.store.appendInTransaction(caller.connection, List.of()));
        }
    }
}
