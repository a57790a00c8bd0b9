package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StreamIdTest {

    @Test
    void ofParseAndToStringRoundTrip() {
        StreamId id = StreamId.of("account", "42");

        assertEquals("account", id.category());
        assertEquals("42", id.id());
        assertEquals("account-42", id.toString());
        assertEquals(id, StreamId.parse(id.toString()));
    }

    @Test
    void parseSplitsAtTheFirstDash() {
        StreamId id = StreamId.parse("order-2024-01-abc");

        assertEquals("order", id.category());
        assertEquals("2024-01-abc", id.id());
    }

    @Test
    void idMayContainDashesAndRoundTrips() {
        StreamId id = StreamId.of("user", "3f1c-9a2b-");

        assertEquals("user-3f1c-9a2b-", id.toString());
        assertEquals(id, StreamId.parse(id.toString()));
    }

    @Test
    void nullPartsAreRejectedWithNullPointerException() {
        assertThrows(NullPointerException.class, () -> StreamId.of(null, "1"));
        assertThrows(NullPointerException.class, () -> StreamId.of("account", null));
        assertThrows(NullPointerException.class, () -> StreamId.parse(null));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\t"})
    void blankPartsAreRejectedWithIllegalArgumentException(String blank) {
        assertThrows(IllegalArgumentException.class, () -> StreamId.of(blank, "1"));
        assertThrows(IllegalArgumentException.class, () -> StreamId.of("account", blank));
    }

    @ParameterizedTest
    @ValueSource(strings = {"a\u0000b", "\u0000", "x\uD800", "\uDC00x", "a\uDC00\uD800b", "\uD83D"})
    void partsPostgresCannotStoreAsTextAreRejected(String text) {
        assertThrows(IllegalArgumentException.class, () -> StreamId.of(text, "1"));
        assertThrows(IllegalArgumentException.class, () -> StreamId.of("account", text));
    }

    @Test
    void surrogatePairsAreAccepted() {
        StreamId id = StreamId.of("\uD83D\uDE80", "\uD83C\uDF89-x");

        assertEquals(id, StreamId.parse(id.toString()));
    }

    @Test
    void categoryWithDashIsRejected() {
        IllegalArgumentException e =
                assertThrows(IllegalArgumentException.class, () -> StreamId.of("bank-account", "1"));
        assertEquals("category must not contain '-': bank-account", e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"account", "", "-1", "account-", " -1", "account- "})
    void parseRejectsMalformedValues(String value) {
        assertThrows(IllegalArgumentException.class, () -> StreamId.parse(value));
    }

    @Test
    void survivesJavaSerialization() {
        StreamId id = StreamId.of("order", "2024-01-abc");

        StreamId read = JavaSerialization.roundTrip(id);

        assertEquals(id, read);
        assertEquals("order", read.category());
        assertEquals("2024-01-abc", read.id());
    }

    @Test
    void equalityIsByCategoryAndId() {
        StreamId id = StreamId.of("account", "1");

        assertEquals(id, StreamId.of("account", "1"));
        assertEquals(id.hashCode(), StreamId.of("account", "1").hashCode());
        assertEquals(id, StreamId.parse("account-1"));
        assertNotEquals(id, StreamId.of("account", "2"));
        assertNotEquals(id, StreamId.of("order", "1"));
        assertNotEquals(StreamId.of("a", "b-c"), StreamId.of("a", "b"));
    }
}
