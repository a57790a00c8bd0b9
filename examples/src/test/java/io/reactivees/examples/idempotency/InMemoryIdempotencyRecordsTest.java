package io.reactivees.examples.idempotency;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

/** The in-memory idempotency records: claims, answers, mismatches, expiry, abandoned claims, purging. */
class InMemoryIdempotencyRecordsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final StoredAnswer OK = new StoredAnswer(200, "application/json", null, "{\"ok\":true}".getBytes(StandardCharsets.UTF_8));

    private Instant now = Instant.parse("2026-12-01T00:00:00Z");
    private final Clock clock = new Clock() {
        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    };
    private final InMemoryIdempotencyRecords records = new InMemoryIdempotencyRecords(clock, Duration.ofHours(24), Duration.ofSeconds(30));

    private Claim claim(String key, String fingerprint) {
        return records.claim(key, fingerprint).block(TIMEOUT);
    }

    @Test
    void aKeyIsClaimedOnceThenInFlightThenAnswered() {
        assertInstanceOf(Claim.Claimed.class, claim("k", "f"));
        assertInstanceOf(Claim.InFlight.class, claim("k", "f"));
        assertInstanceOf(Claim.Mismatch.class, claim("k", "other"));
        records.complete("k", "f", OK).block(TIMEOUT);
        assertEquals(new Claim.Completed(OK), claim("k", "f"));
        assertInstanceOf(Claim.Mismatch.class, claim("k", "other"));
    }

    @Test
    void ofConcurrentClaimsExactlyOneWins() {
        List<Claim> claims = Flux.range(0, 64)
                .flatMap(i -> records.claim("race", "f").subscribeOn(Schedulers.parallel()))
                .collectList()
                .block(TIMEOUT);
        assertEquals(1, claims.stream().filter(Claim.Claimed.class::isInstance).count());
        assertEquals(63, claims.stream().filter(Claim.InFlight.class::isInstance).count());
    }

    @Test
    void aReleasedKeyCanBeClaimedAgain() {
        claim("k", "f");
        records.release("k", "other").block(TIMEOUT); // not the claimant: nothing happens
        assertInstanceOf(Claim.InFlight.class, claim("k", "f"));
        records.release("k", "f").block(TIMEOUT);
        assertInstanceOf(Claim.Claimed.class, claim("k", "f2"));
    }

    @Test
    void anAbandonedClaimIsTakenOverAfterTheInFlightTimeout() {
        claim("k", "f");
        now = now.plusSeconds(29);
        assertInstanceOf(Claim.InFlight.class, claim("k", "f"));
        now = now.plusSeconds(1);
        assertInstanceOf(Claim.Claimed.class, claim("k", "f"));
    }

    @Test
    void anAnswerExpiresAfterItsTimeToLiveAndIsPurged() {
        claim("k", "f");
        records.complete("k", "f", OK).block(TIMEOUT);
        claim("young", "f");
        now = now.plus(Duration.ofHours(23));
        assertEquals(new Claim.Completed(OK), claim("k", "f"));
        assertEquals(0L, records.purgeExpired().block(TIMEOUT));
        now = now.plus(Duration.ofHours(1));
        assertEquals(2L, records.purgeExpired().block(TIMEOUT));
        assertEquals(0, records.size());
        assertInstanceOf(Claim.Claimed.class, claim("k", "another body after expiry"));
    }

    @Test
    void badArgumentsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new InMemoryIdempotencyRecords(clock, Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(NullPointerException.class, () -> new InMemoryIdempotencyRecords(null, Duration.ofHours(1), Duration.ofSeconds(1)));
        assertThrows(NullPointerException.class, () -> records.claim(null, "f"));
        assertThrows(IllegalArgumentException.class, () -> new StoredAnswer(99, null, null, new byte[0]));
    }
}
