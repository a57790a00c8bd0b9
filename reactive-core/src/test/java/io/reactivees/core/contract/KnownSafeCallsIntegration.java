package io.reactivees.core.contract;

import reactor.blockhound.BlockHound;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Tells BlockHound about calls that look blocking but are not. Shipped in the contract test-jar,
 * so every store module's tests get it.
 *
 * <p>{@link java.util.UUID#randomUUID()} reads {@code /dev/urandom} through {@code SecureRandom},
 * which never blocks on Linux; event ids are made on reactive threads all the time. The JDK reads
 * its networking defaults from a file once, when the first socket is made, which may happen on a
 * driver's event loop. Jackson builds the deserializer of each type once, under a lock that
 * threads decoding the same new type at the same moment may briefly wait on. Netty 4.2's adaptive
 * buffer allocator retires a magazine under a short {@code StampedLock} write lock when event loops
 * allocate at once; Netty's own BlockHound integration does not list it yet, and a false alarm
 * there breaks a database connection.
 */
public final class KnownSafeCallsIntegration implements BlockHoundIntegration {

    @Override
    public void applyTo(BlockHound.Builder builder) {
        builder.allowBlockingCallsInside("java.util.UUID", "randomUUID");
        builder.allowBlockingCallsInside("sun.net.NetProperties", "<clinit>");
        // java.util.logging reads its configuration once, under a lock, at a logger's first record
        builder.allowBlockingCallsInside("java.util.logging.LogManager", "initializeGlobalHandlers");
        builder.allowBlockingCallsInside("tools.jackson.databind.deser.DeserializerCache", "_createAndCacheValueDeserializer");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free");
        builder.allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$MagazineGroup", "free");
    }
}
