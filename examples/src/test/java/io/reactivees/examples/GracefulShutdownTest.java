package io.reactivees.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.spring.EventStoreLifecycle;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Graceful shutdown with an event stream open: closing the application ends the SSE stream (it
 * completes, the client sees no error), and it ends while the store is still open; the store closes
 * after it, and the close does not wait for the web server's graceful-shutdown timeout.
 */
class GracefulShutdownTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private RunningBank bank;

    @AfterEach
    void close() {
        if (bank != null && bank.context.isActive()) {
            bank.close();
        }
    }

    @Test
    void anOpenEventStreamEndsBeforeTheStoreClosesAndTheCloseDoesNotWaitForIt() throws Exception {
        bank = RunningBank.start(Map.of("spring.r2dbc.url", ""));
        EventStoreLifecycle store = bank.context.getBean(EventStoreLifecycle.class);
        List<String> received = new CopyOnWriteArrayList<>();
        AtomicReference<Boolean> storeOpenAtTheEnd = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Mono<Void> ended = bank.concurrentClient.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(new ParameterizedTypeReference<ServerSentEvent<String>>() {})
                .filter(event -> event.event() != null)
                .doOnNext(event -> received.add(event.event()))
                .doOnComplete(() -> storeOpenAtTheEnd.set(store.isRunning()))
                .doOnError(failure::set)
                .then()
                .onErrorResume(e -> Mono.empty())
                .cache();
        ended.subscribe();
        new BankClient(bank.client).open("ada");
        Flux.interval(Duration.ofMillis(20)).filter(t -> received.contains("account.opened")).next()
                .timeout(TIMEOUT).block();

        long started = System.nanoTime();
        bank.close();
        Duration closing = Duration.ofNanos(System.nanoTime() - started);

        ended.block(TIMEOUT);
        assertNull(failure.get(), "the stream ended without an error");
        assertEquals(Boolean.TRUE, storeOpenAtTheEnd.get(), "the stream ended while the store was still open");
        assertTrue(!store.isRunning(), "the store closed with the application");
        assertTrue(closing.compareTo(Duration.ofSeconds(20)) < 0, "the close took " + closing + ", as if it waited for the stream");
    }
}
