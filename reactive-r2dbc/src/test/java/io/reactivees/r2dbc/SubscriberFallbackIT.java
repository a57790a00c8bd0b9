package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Subscription;
import reactor.core.publisher.BaseSubscriber;

/**
 * A live subscriber too slow for its buffer ({@code subscriberBufferSize}) leaves the shared feed,
 * is counted ({@link PostgresEventStore#subscriberFallbacks()}), and, when it asks for more, reads
 * on its own from the last event it was given: it misses nothing and gets nothing twice.
 */
class SubscriberFallbackIT {

    private static final int BUFFER = 16;

    private StoreOnSchema on;

    @BeforeEach
    void store() {
        on = PgTestSupport.newStore(options -> options.subscriberBufferSize(BUFFER).pollInterval(Duration.ofMillis(100)));
    }

    @AfterEach
    void close() {
        on.close();
    }

    @Test
    void aSubscriberThatStopsAskingOverflowsItsBufferIsCountedAndLaterCatchesUpExactly() {
        StreamId stream = StreamId.of("item", "slow");
        on.store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("item.touched", "{}"))).block(TIMEOUT);
        Position end = on.loadAll().get(0).position();
        List<RecordedEvent> received = new CopyOnWriteArrayList<>();
        BaseSubscriber<RecordedEvent> slow = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(RecordedEvent event) {
                received.add(event);
            }
        };
        long before = on.store.subscriberFallbacks();
        on.store.subscribe(EventQuery.all().after(end)).subscribe(slow);
        try {
            PgTestSupport.await("the subscription is live", () -> on.store.feedStatus().map(FeedStatus::running));
            for (int i = 0; i < 20; i++) { // 200 events, far more than the buffer and the delivery's prefetch
                List<EventData> ten = IntStream.range(0, 10).mapToObj(k -> EventData.of("item.touched", "{}")).toList();
                on.store.append(stream, ExpectedVersion.any(), ten).block(TIMEOUT);
            }
            PgTestSupport.awaitTrue("the slow subscriber is counted as a fallback", () -> on.store.subscriberFallbacks() > before);
            assertEquals(1, received.size(), "it was given only what it asked for");

            slow.request(Long.MAX_VALUE);
            List<RecordedEvent> log = on.loadAll();
            PgTestSupport.awaitTrue("the subscriber caught up", () -> received.size() >= log.size() - 1);
            assertEquals(PgTestSupport.ids(log.subList(1, log.size())), PgTestSupport.ids(received), "nothing lost, nothing twice, in order");
        } finally {
            slow.dispose();
        }
    }
}
