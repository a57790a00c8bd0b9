package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PositionTest {

    @Test
    void ordersByCommitFirstThenBySequence() {
        Position a = Position.of(1, 9);
        Position b = Position.of(2, 1);
        Position c = Position.of(2, 3);

        assertTrue(a.compareTo(b) < 0, "lower commit wins over higher sequence");
        assertTrue(b.compareTo(c) < 0);
        assertTrue(c.compareTo(a) > 0);
        assertEquals(0, c.compareTo(Position.of(2, 3)));

        List<Position> shuffled = new ArrayList<>(List.of(c, Position.START, a, b));
        Collections.sort(shuffled);
        assertEquals(List.of(Position.START, a, b, c), shuffled);
    }

    @Test
    void startIsBeforeEveryOtherPosition() {
        assertEquals(Position.of(0, 0), Position.START);
        for (Position p : List.of(Position.of(0, 1), Position.of(1, 0), Position.of(Long.MAX_VALUE, Long.MAX_VALUE))) {
            assertTrue(Position.START.compareTo(p) < 0, p.toString());
            assertTrue(p.isAfter(Position.START), p.toString());
            assertFalse(Position.START.isAfter(p), p.toString());
        }
    }

    @Test
    void isAfterIsStrict() {
        Position p = Position.of(3, 4);

        assertFalse(p.isAfter(p));
        assertFalse(p.isAfter(Position.of(3, 4)));
        assertTrue(p.isAfter(Position.of(3, 3)));
        assertTrue(p.isAfter(Position.of(2, 100)));
        assertFalse(p.isAfter(Position.of(3, 5)));
        assertFalse(p.isAfter(Position.of(4, 0)));
    }

    @Test
    void negativePartsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> Position.of(-1, 0));
        assertThrows(IllegalArgumentException.class, () -> Position.of(0, -1));
    }

    @Test
    void toStringAndParseRoundTrip() {
        List<Position> positions = List.of(
                Position.START,
                Position.of(0, 1),
                Position.of(1, 0),
                Position.of(12345, 678),
                Position.of(Integer.MAX_VALUE + 1L, 4_000_000_000L),
                Position.of(Long.MAX_VALUE, 0),
                Position.of(Long.MAX_VALUE, Long.MAX_VALUE));
        for (Position p : positions) {
            assertEquals(p, Position.parse(p.toString()), p.toString());
        }
        assertEquals("12345:678", Position.of(12345, 678).toString());
        assertEquals("9223372036854775807:9223372036854775807",
                Position.of(Long.MAX_VALUE, Long.MAX_VALUE).toString());
    }

    @Test
    void parseRejectsNull() {
        assertThrows(NullPointerException.class, () -> Position.parse(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "1", ":1", "1:", "a:b", "-1:2", "1:2:3", " 1:2", "1:2 ", "1:-2", ":",
            "9223372036854775808:0"})
    void parseRejectsMalformedValues(String value) {
        assertThrows(IllegalArgumentException.class, () -> Position.parse(value));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "+1:2", "1:+2", "-0:0", "0:-0", "+0:0", // signs
        "01:2", "1:02", "00:0", "0:00", "007:1", // leading zeros
        "\u0661:2", "1:\u0662", "\uff11:2", "\u0967:\u0968", // Arabic-Indic, fullwidth and Devanagari digits
        "1::2", "1 :2", "1: 2", "1_000:2", "0x1:2", "1e3:2", "1.0:2", // anything else around the digits
    })
    void parseAcceptsOnlyTheFormToStringWrites(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.parse(value));
        assertTrue(e.getMessage().startsWith("not a position (commit:sequence): " + value), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "9223372036854775808:0", "0:9223372036854775808", "9223372036854775807:9223372036854775808",
        "18446744073709551616:0", "99999999999999999999:1", "1:99999999999999999999999999999",
    })
    void parseRejectsPartsBeyondLongMaxValue(String value) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Position.parse(value));
        assertTrue(e.getMessage().contains("beyond " + Long.MAX_VALUE), e.getMessage());
    }

    @Test
    void parseAcceptsZeroAndTheLargestParts() {
        assertEquals(Position.START, Position.parse("0:0"));
        assertEquals(Position.of(10, 200), Position.parse("10:200"));
        assertEquals(Position.of(Long.MAX_VALUE, 0), Position.parse("9223372036854775807:0"));
        assertEquals(Position.of(0, Long.MAX_VALUE), Position.parse("0:9223372036854775807"));
    }

    @Test
    void survivesJavaSerialization() {
        Position p = Position.of(Long.MAX_VALUE, 42);

        Position read = JavaSerialization.roundTrip(p);

        assertEquals(p, read);
        assertEquals(Long.MAX_VALUE, read.commit());
        assertEquals(42, read.sequence());
        assertEquals(Position.START, JavaSerialization.roundTrip(Position.START));
    }
}
