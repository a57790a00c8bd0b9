package io.reactivees.examples.idempotency;

import reactor.core.publisher.Mono;

/**
 * The records of requests sent with an {@code Idempotency-Key}: a key, the fingerprint of the request
 * that took it, and, once answered, the answer; each record expires a while after it was taken or
 * answered, and a request that took a key and never answered (its instance died) gives it up after
 * an in-flight timeout. Keys are global: not scoped to a user.
 *
 * <p>Every method returns a cold {@code Mono}; failures arrive as
 * {@link io.reactivees.core.StoreUnavailableException}.
 */
public interface IdempotencyRecords {

    /**
     * Takes {@code key} for a request, atomically: exactly one of concurrent claims of a free key wins.
     *
     * @param key the idempotency key
     * @param fingerprint what identifies the request (method, path, body)
     * @return a cold {@code Mono} of what was found: {@link Claim.Claimed} when this request took the
     *     key; otherwise the record's state
     */
    Mono<Claim> claim(String key, String fingerprint);

    /**
     * Stores the answer of the request that claimed {@code key}; it expires after the time to live.
     *
     * @param key the key
     * @param fingerprint the claiming request's fingerprint
     * @param answer its answer
     * @return a cold {@code Mono} that completes when stored (nothing happens when the key is not
     *     held by that request any more)
     */
    Mono<Void> complete(String key, String fingerprint, StoredAnswer answer);

    /**
     * Gives up a claim without an answer to keep (the request failed in a way worth retrying), so the
     * key can be used again at once.
     *
     * @param key the key
     * @param fingerprint the claiming request's fingerprint
     * @return a cold {@code Mono} that completes when released
     */
    Mono<Void> release(String key, String fingerprint);

    /**
     * Deletes every expired record.
     *
     * @return a cold {@code Mono} of the number deleted
     */
    Mono<Long> purgeExpired();
}
