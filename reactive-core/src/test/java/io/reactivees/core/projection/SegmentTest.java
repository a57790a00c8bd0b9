package io.reactivees.core.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.StreamId;
import org.junit.jupiter.api.Test;

/** The segment of a stream is the documented CRC-32 of its id, so every store and version agrees. */
class SegmentTest {

    @Test
    void theSegmentIsTheCrc32OfTheStreamIdModuloTheCount() {
        // zlib.crc32(b"order-42") == 0x57F706DE == 1475806942
        assertEquals(1475806942L % 8, Segment.of(StreamId.of("order", "42"), 8));
        assertEquals(6, Segment.of(StreamId.of("order", "42"), 8));
        assertEquals(0, Segment.of(StreamId.of("order", "42"), 1));
        // non-ASCII ids hash their UTF-8 bytes: zlib.crc32("konto-ø".encode()) == 0xDD4CFA78
        assertEquals(Long.parseLong("DD4CFA78", 16) % 7, Segment.of(StreamId.of("konto", "ø"), 7));
        assertTrue(new Segment(6, 8).contains(StreamId.of("order", "42")));
        assertFalse(new Segment(5, 8).contains(StreamId.of("order", "42")));
        assertEquals("balances#3/8", new Segment(3, 8).name("balances"));
    }

    @Test
    void badSegmentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new Segment(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new Segment(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> new Segment(4, 4));
        assertThrows(IllegalArgumentException.class, () -> Segment.of(StreamId.of("a", "b"), 0));
        assertThrows(NullPointerException.class, () -> Segment.of(null, 3));
    }
}
