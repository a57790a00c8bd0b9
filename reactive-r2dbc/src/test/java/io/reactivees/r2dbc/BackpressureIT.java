package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.acquired;
import static io.reactivees.r2dbc.PgTestSupport.awaitNoAcquiredConnection;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPool;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.Disposable;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * Reads are paced by demand: a consumer that asks for 10 of 5,000 events costs a page or two of
 * queries, holds no connection while it waits, and a full read costs exactly one query per page.
 * Queries are counted at the connection, where the store creates its statements.
 */
class BackpressureIT {

    private static final int EVENTS = 5000;
    private static final int PAGE = 100;
    private static final Duration QUIET = Duration.ofMillis(300);

    private CountingConnectionFactory counting;
    private ConnectionPool pool;
    private StoreOnSchema on;

    @BeforeEach
    void fiveThousandEvents() {
        counting = new CountingConnectionFactory(PostgresTestDatabase.connectionFactory());
        pool = PgTestSupport.pool(counting, 4);
        on = PgTestSupport.newStore(pool, options -> options.pageSize(PAGE)).owning(pool);
        for (int s = 0; s < 10; s++) {
            List<EventData> events = IntStream.range(0, EVENTS / 10)
                    .mapToObj(i -> EventData.of(i % 5 == 0 ? "fifth" : "other", "{\"i\":" + i + "}"))
                    .collect(Collectors.toList());
            on.store.append(StreamId.of("bulk", Integer.toString(s)), ExpectedVersion.noStream(), events).block(TIMEOUT);
        }
        on.awaitSettled();
    }

    @AfterEach
    void close() {
        on.close();
    }

    /** Statements that read a page of events (global or of one stream). */
    private long pageQueries() {
        String events = on.table("events");
        return counting.count(sql -> sql.contains(events) && sql.contains(" LIMIT $"));
    }

    @Test
    void requestingTenOfFiveThousandReadsAtMostTwoPagesAndHoldsNoConnectionWhileWaiting() {
        long before = pageQueries();

        on.store.load(EventQuery.all()).as(flux -> StepVerifier.create(flux, 0))
                .expectSubscription()
                .thenRequest(10)
                .expectNextCount(10)
                .expectNoEvent(QUIET)
                .then(() -> {
                    assertTrue(pageQueries() - before <= 2, "pages read for 10 events: " + (pageQueries() - before));
                    assertEquals(0, acquired(pool), "no connection is held while waiting for demand");
                })
                .thenRequest(EVENTS - 10)
                .expectNextCount(EVENTS - 10)
                .expectComplete()
                .verify(TIMEOUT);

        // 50 full pages, then one that comes back short and ends the read; never a page twice
        assertEquals(EVENTS / PAGE + 1, pageQueries() - before, "one query per page");
        awaitNoAcquiredConnection(pool);
    }

    @Test
    void zeroDemandReadsAtMostOnePageAhead() {
        long before = pageQueries();

        on.store.load(EventQuery.all()).as(flux -> StepVerifier.create(flux, 0))
                .expectSubscription()
                .expectNoEvent(QUIET)
                .then(() -> assertTrue(pageQueries() - before <= 1, "pages read with no demand: " + (pageQueries() - before)))
                .thenRequest(1)
                .expectNextCount(1)
                .thenCancel()
                .verify(TIMEOUT);

        awaitNoAcquiredConnection(pool);
    }

    @Test
    void readersThatStopAskingHoldNoConnectionSoTheStoreStaysUsable() {
        List<Disposable> paused = new ArrayList<>();
        for (int i = 0; i < 6; i++) { // more than the pool's 4 connections
            paused.add(pausedAfterOne(on.store.load(EventQuery.all())));
            paused.add(pausedAfterOne(on.store.readStream(StreamId.of("bulk", Integer.toString(i)), ReadOptions.forwards())));
        }
        try {
            awaitNoAcquiredConnection(pool);
            on.store.append(StreamId.of("bulk", "new"), ExpectedVersion.noStream(), List.of(EventData.of("other", "{}")))
                    .block(TIMEOUT);
            assertEquals(1L, on.store.streamVersion(StreamId.of("bulk", "new")).block(TIMEOUT));
        } finally {
            paused.forEach(Disposable::dispose);
        }
    }

    /** Subscribes, asks for one event, then asks for nothing more. */
    private static Disposable pausedAfterOne(Flux<RecordedEvent> events) {
        BaseSubscriber<RecordedEvent> reader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                subscription.request(1);
            }

            @Override
            protected void hookOnNext(RecordedEvent event) {
                // takes the one event and waits
            }
        };
        events.subscribe(reader);
        return reader;
    }

    @Test
    void filteredLoadsAndStreamReadsArePacedTheSameWay() {
        long before = pageQueries();

        on.store.load(EventQuery.of(EventFilter.forType("fifth"))).as(flux -> StepVerifier.create(flux, 0))
                .thenRequest(5)
                .expectNextCount(5)
                .expectNoEvent(QUIET)
                .then(() -> assertTrue(pageQueries() - before <= 2, "pages for 5 filtered events: " + (pageQueries() - before)))
                .thenCancel()
                .verify(TIMEOUT);

        long beforeStream = pageQueries();
        on.store.readStream(StreamId.of("bulk", "3"), ReadOptions.forwards()).as(flux -> StepVerifier.create(flux, 0))
                .thenRequest(3)
                .expectNextCount(3)
                .expectNoEvent(QUIET)
                .then(() -> assertTrue(pageQueries() - beforeStream <= 2, "pages for 3 stream events: " + (pageQueries() - beforeStream)))
                .thenRequest(EVENTS / 10 - 3)
                .expectNextCount(EVENTS / 10 - 3)
                .expectComplete()
                .verify(TIMEOUT);
        assertTrue(pageQueries() - beforeStream <= EVENTS / 10 / PAGE + 1, "one query per page of the stream");
        awaitNoAcquiredConnection(pool);
    }
}
