package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/** What {@link PostgresEventStore#feedStatus()} reports before, while and after the live feed runs. */
class FeedStatusIT {

    private StoreOnSchema on;

    @BeforeEach
    void store() {
        on = PgTestSupport.newStore(options -> options.pageSize(16).pollInterval(Duration.ofMillis(100)));
    }

    @AfterEach
    void close() {
        on.close();
    }

    @Test
    void beforeAnySubscriptionTheFeedIsNotRunningAndCountsEverythingAsBehind() {
        append("order", 3);

        FeedStatus status = on.store.feedStatus().block(TIMEOUT);

        assertFalse(status.running());
        assertEquals(Position.START, status.deliveredThrough());
        assertEquals(3, status.eventsBehind());
        assertNull(status.lastAdvancedAt());
    }

    @Test
    void afterASubscriptionTheFeedRunsAndCatchesUpToZeroBehind() {
        append("order", 5);
        Collected live = on.follow(EventQuery.all());
        live.awaitAtLeast(5);

        PgTestSupport.await("the feed is running and nothing is behind",
                () -> on.store.feedStatus().map(s -> s.running() && s.eventsBehind() == 0));

        AppendResult last = append("order", 20);
        live.awaitAtLeast(25);
        PgTestSupport.await("the feed delivered through the last append",
                () -> on.store.feedStatus().map(s -> s.eventsBehind() == 0 && !last.position().isAfter(s.deliveredThrough())));
        FeedStatus status = on.store.feedStatus().block(TIMEOUT);
        assertTrue(status.running());
        assertNotNull(status.lastAdvancedAt());
    }

    @Test
    void theStatusMonoIsColdAndReportsTheStateAtEachSubscription() {
        Mono<FeedStatus> status = on.store.feedStatus(); // assembled before the feed starts
        assertFalse(status.block(TIMEOUT).running());

        Collected live = on.follow(EventQuery.all());
        append("order", 4);
        live.awaitAtLeast(4);

        PgTestSupport.await("the same Mono, subscribed again, reports the running feed caught up",
                () -> status.map(s -> s.running() && s.eventsBehind() == 0 && s.deliveredThrough().isAfter(Position.START)));
    }

    @Test
    void aHeldTransactionShowsAsEventsBehindUntilItEnds() {
        Collected live = on.follow(EventQuery.all());
        append("order", 1);
        live.awaitAtLeast(1);

        try (RawSession held = new RawSession()) {
            held.begin();
            PgTestSupport.insertRawEvent(held, on, UUID.randomUUID(), "held-1", "held", 1, "held", "{}");
            append("later", 3);

            PgTestSupport.await("three committed events wait behind the open transaction",
                    () -> on.store.feedStatus().map(s -> s.eventsBehind() == 3));
            assertEquals(1, live.size());
            held.commit();
        }

        live.awaitAtLeast(5);
        PgTestSupport.await("nothing behind once the transaction ended",
                () -> on.store.feedStatus().map(s -> s.eventsBehind() == 0));
    }

    private AppendResult append(String category, int count) {
        AppendResult last = null;
        for (int i = 0; i < count; i++) {
            last = on.store.append(StreamId.of(category, UUID.randomUUID().toString()), ExpectedVersion.noStream(),
                    List.of(EventData.of(category + ".placed", "{\"i\":" + i + "}"))).block(TIMEOUT);
        }
        return last;
    }
}
