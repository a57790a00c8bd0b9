package io.reactivees.r2dbc.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.r2dbc.postgresql.message.Format;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class TransactionIdCodecTest {

    private final TransactionIdCodec codec = new TransactionIdCodec();

    @Test
    void decodesAnXid8AsALongInBothFormats() {
        long id = 4_294_967_296L + 17; // past the first epoch: an xid8, not a 32-bit xid
        ByteBuf binary = Unpooled.buffer(8).writeLong(id);
        ByteBuf text = Unpooled.copiedBuffer(Long.toString(id), StandardCharsets.US_ASCII);
        try {
            assertEquals(id, codec.decode(binary, TransactionIdCodec.XID8, Format.FORMAT_BINARY, Long.class));
            assertEquals(id, codec.decode(text, TransactionIdCodec.XID8, Format.FORMAT_TEXT, Long.class));
        } finally {
            binary.release();
            text.release();
        }
        assertNull(codec.decode(null, TransactionIdCodec.XID8, Format.FORMAT_BINARY, Long.class));
    }

    @Test
    void claimsOnlyXid8ReadAsLongAndEncodesNothing() {
        assertTrue(codec.canDecode(TransactionIdCodec.XID8, Format.FORMAT_BINARY, Long.class));
        assertTrue(codec.canDecode(TransactionIdCodec.XID8, Format.FORMAT_TEXT, Object.class));
        assertFalse(codec.canDecode(TransactionIdCodec.XID8, Format.FORMAT_BINARY, String.class));
        assertFalse(codec.canDecode(20, Format.FORMAT_BINARY, Long.class)); // int8 stays the driver's
        assertFalse(codec.canEncode(1L));
        assertFalse(codec.canEncodeNull(Long.class));
        assertThrows(UnsupportedOperationException.class, () -> codec.encode(1L));
    }
}
