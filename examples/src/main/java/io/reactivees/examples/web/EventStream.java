package io.reactivees.examples.web;

import io.reactivees.core.RecordedEvent;
import java.time.Duration;
import java.util.Objects;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Scheduler;
import tools.jackson.databind.json.JsonMapper;

/**
 * Store events as server-sent events that a browser's {@code EventSource} can follow: each event's
 * SSE {@code id} is its position (so the browser's automatic reconnection, which sends the last id
 * as {@code Last-Event-ID}, resumes right after it), its SSE {@code event} name is its type, and its
 * data is the {@link EventResponse} JSON, and its {@code retry} the browser's reconnection delay.
 * A comment line ({@code :heartbeat}) goes out at a fixed interval, so that an idle connection is
 * not closed by a proxy and a dead one is noticed.
 *
 * <p>Nothing is sent before the first event or heartbeat, so a store that fails at once (the
 * database is away) still gets an error answer (503) rather than a stream cut short.
 */
final class EventStream {

    /** The comment each heartbeat sends. */
    static final String HEARTBEAT = "heartbeat";

    /** How long a browser waits before it reconnects. */
    static final Duration RECONNECT_DELAY = Duration.ofSeconds(2);

    private EventStream() {}

    /**
     * The SSE stream of some store events. While the client asks for nothing, heartbeats are dropped
     * (at most one waits); the events are backpressured, one at a time, as the source's are.
     *
     * @param events the store's events, typically a subscription (infinite)
     * @param json reads each event's payload and metadata for its data
     * @param heartbeatInterval the time between heartbeats; positive
     * @param scheduler the heartbeats' clock
     * @return a cold {@code Flux} of the events and heartbeats as they come;
     *     it ends as {@code events} ends, and cancelling it cancels {@code events}
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the interval is not positive
     */
    static Flux<ServerSentEvent<EventResponse>> of(Flux<RecordedEvent> events, JsonMapper json, Duration heartbeatInterval,
                                                   Scheduler scheduler) {
        Objects.requireNonNull(events, "events must not be null");
        Objects.requireNonNull(json, "json must not be null");
        Objects.requireNonNull(heartbeatInterval, "heartbeatInterval must not be null");
        Objects.requireNonNull(scheduler, "scheduler must not be null");
        if (heartbeatInterval.isZero() || heartbeatInterval.isNegative()) {
            throw new IllegalArgumentException("heartbeatInterval must be positive: " + heartbeatInterval);
        }
        Flux<ServerSentEvent<EventResponse>> data = events.map(event -> ServerSentEvent.builder(EventResponse.of(event, json))
                .id(event.position().toString())
                .event(event.type())
                .retry(RECONNECT_DELAY)
                .build());
        Flux<ServerSentEvent<EventResponse>> heartbeats = Flux.interval(heartbeatInterval, heartbeatInterval, scheduler)
                .onBackpressureDrop()
                .map(tick -> ServerSentEvent.<EventResponse>builder().comment(HEARTBEAT).build());
        // the heartbeats never end, so the events' end is marked, and ends the merged stream
        ServerSentEvent<EventResponse> end = ServerSentEvent.<EventResponse>builder().comment("end").build();
        // prefetch 1: a heartbeat the client has not asked for is dropped, and at most one waits
        return Flux.merge(1, data.concatWith(Flux.just(end)), heartbeats)
                .takeWhile(event -> event != end);
    }
}
