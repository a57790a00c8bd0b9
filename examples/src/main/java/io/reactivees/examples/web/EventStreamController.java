package io.reactivees.examples.web;

import io.reactivees.core.EventStore;
import io.reactivees.core.Position;
import io.reactivees.examples.BankProperties;
import java.time.Duration;
import io.reactivees.examples.bank.AccountSummaries;
import org.springframework.context.SmartLifecycle;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code GET /events}: every account event as server-sent events, the stored ones first and then
 * live, straight from {@link EventStore#subscribe}, with heartbeat comments at
 * {@code bank.events.heartbeat-interval} (see {@link EventStream}). Each SSE {@code id} is the
 * event's position, so a client that reconnects with {@code Last-Event-ID} (as browsers'
 * {@code EventSource} does by itself) resumes right after the last event it got, missing and
 * repeating nothing.
 *
 * <p>The streams never end on their own, so the controller ends them when the application stops,
 * before the web server's graceful shutdown, which would otherwise wait for them until it times out;
 * clients reconnect (to another replica, or after the restart) and resume.
 */
@RestController
class EventStreamController implements SmartLifecycle {

    /** The header an SSE client resumes with. */
    static final String LAST_EVENT_ID = "Last-Event-ID";

    private final EventStore store;
    private final JsonMapper json;
    private final Duration heartbeatInterval;
    private final Sinks.Empty<Void> stopping = Sinks.empty();
    private volatile boolean running;

    EventStreamController(EventStore store, JsonMapper json, BankProperties properties) {
        this.store = store;
        this.json = json;
        this.heartbeatInterval = properties.events().heartbeatInterval();
    }

    /**
     * The event stream. It completes only when the application stops; the client ends it by
     * disconnecting, which cancels the store subscription.
     */
    @GetMapping(path = "/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    Flux<ServerSentEvent<EventResponse>> events(@RequestHeader(name = LAST_EVENT_ID, required = false) String lastEventId) {
        Position after = lastEventId == null || lastEventId.isEmpty() ? Position.START : position(lastEventId);
        return EventStream.of(store.subscribe(AccountSummaries.QUERY.after(after)), json, heartbeatInterval, Schedulers.parallel())
                .takeUntilOther(stopping.asMono());
    }

    @Override
    public void start() {
        running = true;
    }

    /** Completes every event stream, so the web server's graceful shutdown need not wait for them. */
    @Override
    public void stop() {
        running = false;
        stopping.tryEmitEmpty();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The default phase: stopped before the web server (whose graceful shutdown runs in a lower phase). */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }

    private static Position position(String lastEventId) {
        try {
            return Position.parse(lastEventId);
        } catch (IllegalArgumentException e) {
            throw new InvalidRequestException(LAST_EVENT_ID + " must be the id of an event of this stream (commit:sequence): "
                    + (lastEventId.length() <= 64 ? lastEventId : lastEventId.substring(0, 64) + "..."));
        }
    }
}
