package io.reactivees.r2dbc.internal;

import io.netty.buffer.ByteBufAllocator;
import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.postgresql.codec.CodecRegistry;
import io.r2dbc.postgresql.extension.CodecRegistrar;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * Adds the store's {@code xid8} decoder to every r2dbc-postgresql connection factory that detects
 * extensions (the driver's default): r2dbc-postgresql finds it through {@code
 * META-INF/services/io.r2dbc.postgresql.extension.Extension}. Not for direct use; a factory built
 * with {@code autodetectExtensions(false)} can pass it to {@code codecRegistrar(...)}, and the
 * store reads without it too, a little slower.
 */
public final class TransactionIdCodecRegistrar implements CodecRegistrar {

    /** Made by the driver's {@link java.util.ServiceLoader}. */
    public TransactionIdCodecRegistrar() {}

    /**
     * Registers the decoder ahead of the driver's own codecs.
     *
     * @return an empty publisher: registering needs no round trip
     */
    @Override
    public Publisher<Void> register(PostgresqlConnection connection, ByteBufAllocator allocator, CodecRegistry registry) {
        registry.addFirst(new TransactionIdCodec());
        return Mono.empty();
    }
}
