package io.reactivees.core.contract;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about calls that look blocking but are not. Shipped in the contract test-jar,
 * so every store module's tests get it.
 *
 * <p>{@link java.util.UUID#randomUUID()} reads {@code /dev/urandom} through {@code SecureRandom},
 * which never blocks on Linux; event ids are made on reactive threads all the time.
 */
public final class KnownSafeCallsIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("java.util.UUID", "randomUUID");
    }
}
