package io.reactivees.examples.idempotency;

import java.util.Objects;

/** What {@link IdempotencyRecords#claim} found for a key. */
public sealed interface Claim {

    /** The key was free (or its record expired, or its request was abandoned): this request runs it. */
    record Claimed() implements Claim {}

    /** A request with this key and fingerprint is still running. */
    record InFlight() implements Claim {}

    /**
     * A request with this key and fingerprint has been answered.
     *
     * @param answer what it was answered
     */
    record Completed(StoredAnswer answer) implements Claim {
        /** @throws NullPointerException if {@code answer} is null */
        public Completed {
            Objects.requireNonNull(answer, "answer must not be null");
        }
    }

    /** The key is held by a request with another fingerprint (another body, method or path). */
    record Mismatch() implements Claim {}
}
