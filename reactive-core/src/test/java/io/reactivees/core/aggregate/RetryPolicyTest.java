package io.reactivees.core.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class RetryPolicyTest {

    private static final RetryPolicy THREE_QUICK = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0);

    private static ConcurrencyConflictException conflict(int attempt) {
        return new ConcurrencyConflictException(StreamId.of("acct", "1"), ExpectedVersion.exact(attempt), attempt + 1);
    }

    @Test
    void onConflictRetriesConflictsUpToMaxAttemptsThenRethrowsTheLastUnwrapped() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> alwaysConflicting = Mono.defer(() -> Mono.error(conflict(attempts.incrementAndGet())));

        StepVerifier.create(alwaysConflicting.retryWhen(THREE_QUICK.onConflict()))
                .expectErrorSatisfies(e -> {
                    ConcurrencyConflictException last = (ConcurrencyConflictException) e;
                    assertEquals(ExpectedVersion.exact(3), last.expected(), "the third attempt's conflict, as it was");
                })
                .verify(Duration.ofSeconds(5));
        assertEquals(3, attempts.get());
    }

    @Test
    void onConflictSucceedsWhenAnAttemptSucceeds() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> conflictingOnce = Mono.defer(() -> attempts.incrementAndGet() == 1 ? Mono.error(conflict(1)) : Mono.just("done"));

        StepVerifier.create(conflictingOnce.retryWhen(THREE_QUICK.onConflict()))
                .expectNext("done")
                .verifyComplete();
        assertEquals(2, attempts.get());
    }

    @Test
    void onConflictPassesOtherErrorsAtOnce() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> failing = Mono.defer(() -> {
            attempts.incrementAndGet();
            return Mono.error(new IllegalStateException("domain rule"));
        });

        StepVerifier.create(failing.retryWhen(THREE_QUICK.onConflict()))
                .expectErrorMessage("domain rule")
                .verify(Duration.ofSeconds(5));
        assertEquals(1, attempts.get());
    }

    @Test
    void noneMakesASingleAttempt() {
        AtomicInteger attempts = new AtomicInteger();
        Mono<String> alwaysConflicting = Mono.defer(() -> Mono.error(conflict(attempts.incrementAndGet())));

        assertThrows(ConcurrencyConflictException.class,
                () -> alwaysConflicting.retryWhen(RetryPolicy.none().onConflict()).block(Duration.ofSeconds(5)));
        assertEquals(1, attempts.get());
    }
}
