package io.reactivees.examples.idempotency;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Mono;

/** {@link IdempotencyRecords} in a map, for the in-memory bank; gone when the application stops. */
public final class InMemoryIdempotencyRecords implements IdempotencyRecords {

    private final Map<String, Entry> records = new ConcurrentHashMap<>();
    private final Clock clock;
    private final Duration timeToLive;
    private final Duration inFlightTimeout;

    /**
     * @param clock the time
     * @param timeToLive how long a record is kept after it was taken or answered
     * @param inFlightTimeout how long an unanswered claim holds its key
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if a duration is not positive
     */
    public InMemoryIdempotencyRecords(Clock clock, Duration timeToLive, Duration inFlightTimeout) {
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.timeToLive = requirePositive(timeToLive, "timeToLive");
        this.inFlightTimeout = requirePositive(inFlightTimeout, "inFlightTimeout");
    }

    static Duration requirePositive(Duration duration, String what) {
        Objects.requireNonNull(duration, what + " must not be null");
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException(what + " must be positive: " + duration);
        }
        return duration;
    }

    @Override
    public Mono<Claim> claim(String key, String fingerprint) {
        Objects.requireNonNull(key, "key must not be null");
        Objects.requireNonNull(fingerprint, "fingerprint must not be null");
        return Mono.fromSupplier(() -> {
            Instant now = clock.instant();
            AtomicReference<Claim> found = new AtomicReference<>();
            records.compute(key, (k, old) -> {
                if (old == null || !old.expiresAt().isAfter(now)
                        || (old.answer() == null && !old.claimedAt().plus(inFlightTimeout).isAfter(now))) {
                    found.set(new Claim.Claimed());
                    return new Entry(fingerprint, null, now, now.plus(timeToLive));
                }
                found.set(!old.fingerprint().equals(fingerprint) ? new Claim.Mismatch()
                        : old.answer() == null ? new Claim.InFlight() : new Claim.Completed(old.answer()));
                return old;
            });
            return found.get();
        });
    }

    @Override
    public Mono<Void> complete(String key, String fingerprint, StoredAnswer answer) {
        Objects.requireNonNull(answer, "answer must not be null");
        return Mono.fromRunnable(() -> records.computeIfPresent(key, (k, entry) -> entry.pending(fingerprint)
                ? new Entry(fingerprint, answer, entry.claimedAt(), clock.instant().plus(timeToLive))
                : entry));
    }

    @Override
    public Mono<Void> release(String key, String fingerprint) {
        return Mono.fromRunnable(() -> records.computeIfPresent(key, (k, entry) -> entry.pending(fingerprint) ? null : entry));
    }

    @Override
    public Mono<Long> purgeExpired() {
        return Mono.fromSupplier(() -> {
            Instant now = clock.instant();
            long[] purged = {0};
            records.entrySet().removeIf(e -> {
                boolean expired = !e.getValue().expiresAt().isAfter(now);
                purged[0] += expired ? 1 : 0;
                return expired;
            });
            return purged[0];
        });
    }

    /** How many records are kept; for tests. */
    int size() {
        return records.size();
    }

    private record Entry(String fingerprint, StoredAnswer answer, Instant claimedAt, Instant expiresAt) {
        boolean pending(String by) {
            return answer == null && fingerprint.equals(by);
        }
    }
}
