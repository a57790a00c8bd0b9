package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.projection.ProjectionLease.Held;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The lease attempt's rules on virtual time, with tries a test answers by hand: one try per retry
 * interval until one grants the lease; a cancel never cuts a try short, and a lease that try got
 * is released; a cancel while waiting ends the attempt at once; a failure reaches the subscriber
 * translated; and the attempt settles exactly once, after its last try answered.
 */
class LeaseAttemptTest {

    private static final Duration RETRY = Duration.ofSeconds(1);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final List<Sinks.One<Held>> tries = new ArrayList<>();
    private final AtomicInteger started = new AtomicInteger();
    private final AtomicInteger settled = new AtomicInteger();

    @AfterEach
    void stopTime() {
        time.dispose();
    }

    private Mono<Held> attempt() {
        return LeaseAttempt.acquire(() -> {
            Sinks.One<Held> answer = Sinks.one();
            tries.add(answer);
            return answer.asMono();
        }, RETRY, time, error -> new IllegalStateException("translated", error), started::incrementAndGet, settled::incrementAndGet);
    }

    private Sinks.One<Held> lastTry() {
        return tries.get(tries.size() - 1);
    }

    @Test
    void triesOncePerRetryIntervalUntilATryGrantsTheLease() {
        TestLease lease = new TestLease();
        StepVerifier.create(attempt())
                .then(() -> {
                    assertEquals(1, tries.size(), "the first try at once");
                    lastTry().tryEmitEmpty(); // held elsewhere
                    time.advanceTimeBy(RETRY.minusMillis(1));
                    assertEquals(1, tries.size(), "no try before the interval has passed");
                    time.advanceTimeBy(Duration.ofMillis(1));
                    assertEquals(2, tries.size());
                    lastTry().tryEmitValue(lease);
                })
                .assertNext(held -> assertSame(lease, held))
                .verifyComplete();
        assertEquals(1, started.get());
        assertEquals(1, settled.get());
        assertEquals(0, lease.releases.get(), "a lease handed over is the subscriber's");
    }

    @Test
    void aCancelWaitsForTheTryInFlightAndReleasesTheLeaseItGot() {
        TestLease lease = new TestLease();
        AtomicInteger handed = new AtomicInteger();
        attempt().subscribe(held -> handed.incrementAndGet()).dispose();
        assertEquals(1, tries.size());
        assertEquals(0, settled.get(), "not settled while its try runs");
        lastTry().tryEmitValue(lease);
        assertEquals(1, lease.releases.get(), "the lease the cancelled try got is released");
        assertEquals(1, settled.get());
        assertEquals(0, handed.get(), "nothing handed to a cancelled subscriber");
        time.advanceTimeBy(RETRY.multipliedBy(5));
        assertEquals(1, tries.size(), "no try after the cancel");
    }

    @Test
    void aCancelWhileWaitingEndsTheAttemptAtOnce() {
        StepVerifier.create(attempt())
                .then(() -> lastTry().tryEmitEmpty())
                .thenCancel()
                .verify();
        assertEquals(1, settled.get());
        time.advanceTimeBy(RETRY.multipliedBy(5));
        assertEquals(1, tries.size(), "the wait was dropped: no further try");
    }

    @Test
    void aLeaseGrantedButNotDeliveredWhenTheCancelComesIsReleased() {
        TestLease lease = new TestLease();
        // A subscriber that has not requested yet: the sink keeps the lease until a request, and the cancel drops it there.
        reactor.core.publisher.BaseSubscriber<Held> notRequesting = new reactor.core.publisher.BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
            }
        };
        attempt().subscribe(notRequesting);
        lastTry().tryEmitValue(lease);
        assertEquals(0, lease.releases.get());
        notRequesting.cancel();
        assertEquals(1, lease.releases.get(), "the lease the sink dropped is released, once");
        assertEquals(1, settled.get());
    }

    @Test
    void aFailedTryReachesTheSubscriberTranslated() {
        IllegalArgumentException cause = new IllegalArgumentException("the database said no");
        StepVerifier.create(attempt())
                .then(() -> lastTry().tryEmitError(cause))
                .expectErrorSatisfies(error -> {
                    assertEquals("translated", error.getMessage());
                    assertSame(cause, error.getCause());
                })
                .verify();
        assertEquals(1, settled.get());
    }

    @Test
    void aTryThatFailsAfterTheCancelIsNotReported() {
        List<Throwable> reported = new ArrayList<>();
        attempt().subscribe(held -> { }, reported::add).dispose();
        lastTry().tryEmitError(new IllegalArgumentException("late"));
        assertEquals(1, settled.get());
        assertTrue(reported.isEmpty(), "a cancelled subscriber hears nothing: " + reported);
    }

    @Test
    void eachSubscriptionIsAnAttemptOfItsOwn() {
        Mono<Held> acquire = attempt();
        acquire.subscribe();
        acquire.subscribe();
        assertEquals(2, tries.size());
        assertEquals(2, started.get());
        tries.forEach(Sinks.One::tryEmitEmpty);
        time.advanceTimeBy(RETRY);
        assertEquals(4, tries.size());
        assertEquals(0, settled.get(), "both still waiting");
    }

    /** A lease that counts its releases. */
    private static final class TestLease implements Held {
        final AtomicInteger releases = new AtomicInteger();

        @Override
        public Mono<Void> lost() {
            return Mono.never();
        }

        @Override
        public Mono<Void> release() {
            return Mono.fromRunnable(releases::incrementAndGet);
        }
    }
}
