package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class AppendResultTest {

    private static final StreamId STREAM = StreamId.of("account", "1");

    @Test
    void eventCountIsTheVersionDifference() {
        assertEquals(3, new AppendResult(STREAM, 0, 3, Position.of(1, 3)).eventCount());
        assertEquals(1, new AppendResult(STREAM, 4, 5, Position.of(2, 9)).eventCount());
        assertEquals(0, new AppendResult(STREAM, 0, 0, Position.START).eventCount());
        assertEquals(0, new AppendResult(STREAM, 7, 7, Position.of(3, 7)).eventCount());
    }

    @Test
    void invalidVersionPairsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new AppendResult(STREAM, -1, 0, Position.START));
        assertThrows(IllegalArgumentException.class, () -> new AppendResult(STREAM, -1, 2, Position.START));
        assertThrows(IllegalArgumentException.class, () -> new AppendResult(STREAM, 3, 2, Position.START));
        assertThrows(IllegalArgumentException.class, () -> new AppendResult(STREAM, 0, -1, Position.START));
    }

    @Test
    void nullPartsAreRejected() {
        assertThrows(NullPointerException.class, () -> new AppendResult(null, 0, 1, Position.START));
        assertThrows(NullPointerException.class, () -> new AppendResult(STREAM, 0, 1, null));
    }

    @Test
    void hasValueEquality() {
        assertEquals(new AppendResult(STREAM, 1, 2, Position.of(5, 6)),
                new AppendResult(StreamId.parse("account-1"), 1, 2, Position.parse("5:6")));
    }
}
