package io.reactivees.r2dbc.internal;

import io.netty.buffer.ByteBuf;
import io.r2dbc.postgresql.client.EncodedParameter;
import io.r2dbc.postgresql.codec.Codec;
import io.r2dbc.postgresql.message.Format;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * Decodes PostgreSQL's {@code xid8} (a 64-bit transaction id, OID 5069) as a {@link Long}, in
 * either wire format, so that the store can read {@code events.transaction_id} as it is stored.
 * The cast it replaces, {@code transaction_id::text::bigint}, formats and parses every row on the
 * server, and cost about a third of the server's work in a 1M-event read. Decode only: the store
 * binds transaction ids as text.
 */
final class TransactionIdCodec implements Codec<Long> {

    /** The built-in type's OID ({@code pg_type.oid} of {@code xid8}). */
    static final int XID8 = 5069;

    @Override
    public boolean canDecode(int dataType, Format format, Class<?> type) {
        return dataType == XID8 && type.isAssignableFrom(Long.class);
    }

    @Override
    public @Nullable Long decode(@Nullable ByteBuf buffer, int dataType, Format format, Class<? extends Long> type) {
        if (buffer == null) {
            return null;
        }
        // an xid8 is unsigned, and below 2^63 for any cluster that has not run 2^63 transactions
        return format == Format.FORMAT_BINARY
                ? buffer.readLong()
                : Long.parseUnsignedLong(buffer.readCharSequence(buffer.readableBytes(), StandardCharsets.US_ASCII).toString());
    }

    @Override
    public boolean canEncode(Object value) {
        return false;
    }

    @Override
    public boolean canEncodeNull(Class<?> type) {
        return false;
    }

    @Override
    public EncodedParameter encode(Object value) {
        throw new UnsupportedOperationException("xid8 values are bound as text");
    }

    @Override
    public EncodedParameter encode(Object value, int dataType) {
        throw new UnsupportedOperationException("xid8 values are bound as text");
    }

    @Override
    public EncodedParameter encodeNull() {
        throw new UnsupportedOperationException("xid8 values are bound as text");
    }
}
