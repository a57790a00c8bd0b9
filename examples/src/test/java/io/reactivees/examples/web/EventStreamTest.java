package io.reactivees.examples.web;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;
import tools.jackson.databind.json.JsonMapper;

/** The SSE form of store events: ids, names, reconnection delay, and heartbeats on virtual time. */
class EventStreamTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final Duration HEARTBEAT = Duration.ofSeconds(15);
    private final JsonMapper json = JsonMapper.builder().build();
    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final StreamId stream = StreamId.of("account", "a1");

    @Test
    void eventsCarryTheirPositionAsIdTheirTypeAsNameAndTheReconnectionDelay() {
        store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("account.opened", "{\"owner\":\"a\"}"),
                EventData.of("account.deposited", "{\"amount\":5}"))).block(TIMEOUT);
        List<ServerSentEvent<EventResponse>> events = EventStream.of(store.load(EventQuery.all()), json, HEARTBEAT, Schedulers.parallel())
                .collectList().block(TIMEOUT);
        List<String> positions = store.load(EventQuery.all()).map(event -> event.position().toString()).collectList().block(TIMEOUT);
        assertEquals(positions, events.stream().map(ServerSentEvent::id).toList());
        assertEquals(List.of("account.opened", "account.deposited"), events.stream().map(ServerSentEvent::event).toList());
        assertEquals(List.of(5L), events.stream().skip(1).map(event -> event.data().data().get("amount").asLong()).toList());
        events.forEach(event -> assertEquals(EventStream.RECONNECT_DELAY, event.retry()));
    }

    @Test
    void anIdleStreamSendsAHeartbeatCommentEveryInterval() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        StepVerifier.create(EventStream.of(store.subscribe(EventQuery.all()), json, HEARTBEAT, time))
                .expectSubscription()
                .then(() -> time.advanceTimeBy(HEARTBEAT.minusMillis(1)))
                .expectNoEvent(Duration.ZERO)
                .then(() -> time.advanceTimeBy(Duration.ofMillis(1)))
                .assertNext(EventStreamTest::assertHeartbeat)
                .then(() -> store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("account.opened", "{}"))).block(TIMEOUT))
                .assertNext(event -> assertEquals("account.opened", event.event()))
                .then(() -> time.advanceTimeBy(HEARTBEAT.multipliedBy(2)))
                .assertNext(EventStreamTest::assertHeartbeat)
                .assertNext(EventStreamTest::assertHeartbeat)
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void heartbeatsAreDroppedNotQueuedWhileTheClientRequestsNothing() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        StepVerifier.create(EventStream.of(store.subscribe(EventQuery.all()), json, HEARTBEAT, time), 0)
                .expectSubscription()
                .then(() -> time.advanceTimeBy(HEARTBEAT.multipliedBy(10)))
                .expectNoEvent(Duration.ZERO)
                .thenRequest(1)
                .assertNext(EventStreamTest::assertHeartbeat) // the one that waited
                .thenRequest(1)
                .expectNoEvent(Duration.ZERO) // the other nine were dropped
                .then(() -> time.advanceTimeBy(HEARTBEAT))
                .assertNext(EventStreamTest::assertHeartbeat)
                .thenCancel()
                .verify(TIMEOUT);
    }

    @Test
    void theStreamEndsWhenTheEventsEndAndFailsAsTheyFail() {
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        StepVerifier.create(EventStream.of(Flux.empty(), json, HEARTBEAT, time))
                .verifyComplete();
        StepVerifier.create(EventStream.of(Flux.error(new StoreUnavailableException("reading", null)), json, HEARTBEAT, time))
                .verifyError(StoreUnavailableException.class);
    }

    @Test
    void badArgumentsFailAtCallTime() {
        assertThrows(IllegalArgumentException.class, () -> EventStream.of(Flux.empty(), json, Duration.ZERO, Schedulers.parallel()));
        assertThrows(IllegalArgumentException.class, () -> EventStream.of(Flux.empty(), json, Duration.ofSeconds(-1), Schedulers.parallel()));
        assertThrows(NullPointerException.class, () -> EventStream.of(null, json, HEARTBEAT, Schedulers.parallel()));
        assertThrows(NullPointerException.class, () -> EventStream.of(Flux.empty(), json, HEARTBEAT, null));
    }

    private static void assertHeartbeat(ServerSentEvent<EventResponse> event) {
        assertEquals(EventStream.HEARTBEAT, event.comment());
        assertNull(event.data());
        assertNull(event.id());
    }
}
