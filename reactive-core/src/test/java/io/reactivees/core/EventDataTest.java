package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EventDataTest {

    private static final UUID ID = UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static EventData withData(byte[] data) {
        return new EventData(ID, "t", data, utf8("{}"));
    }

    private static EventData withMetadata(byte[] metadata) {
        return new EventData(ID, "t", utf8("{}"), metadata);
    }

    // value semantics and copies

    @Test
    void equalContentsMeanEqualEvents() {
        EventData a = new EventData(ID, "account.opened", utf8("{\"a\":1}"), utf8("{\"m\":2}"));
        EventData b = new EventData(ID, "account.opened", utf8("{\"a\":1}"), utf8("{\"m\":2}"));

        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(a.hashCode(), a.hashCode());
    }

    @Test
    void anyDifferingPartMeansUnequalEvents() {
        EventData a = new EventData(ID, "t", utf8("{\"a\":1}"), utf8("{}"));

        assertNotEquals(a, new EventData(UUID.randomUUID(), "t", utf8("{\"a\":1}"), utf8("{}")));
        assertNotEquals(a, new EventData(ID, "u", utf8("{\"a\":1}"), utf8("{}")));
        assertNotEquals(a, new EventData(ID, "t", utf8("{\"a\":2}"), utf8("{}")));
        assertNotEquals(a, new EventData(ID, "t", utf8("{\"a\":1}"), utf8("{\"m\":1}")));
        assertNotEquals(a, null);
        assertNotEquals(a, new Object());
    }

    @Test
    void bytesAreCopiedIn() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");
        EventData event = new EventData(ID, "t", data, metadata);

        data[1] = '2';
        metadata[0] = '[';

        assertEquals("[1]", event.dataAsString());
        assertEquals("{}", event.metadataAsString());
    }

    @Test
    void bytesAreCopiedOut() {
        EventData event = new EventData(ID, "t", utf8("[1]"), utf8("{}"));

        byte[] data = event.data();
        byte[] metadata = event.metadata();
        assertNotSame(data, event.data());
        assertNotSame(metadata, event.metadata());
        data[1] = '2';
        metadata[0] = '[';

        assertArrayEquals(utf8("[1]"), event.data());
        assertArrayEquals(utf8("{}"), event.metadata());
        assertEquals(3, event.dataLength());
    }

    @Test
    void nullPartsAreRejected() {
        assertThrows(NullPointerException.class, () -> new EventData(null, "t", utf8("1"), utf8("{}")));
        assertThrows(NullPointerException.class, () -> new EventData(ID, null, utf8("1"), utf8("{}")));
        assertThrows(NullPointerException.class, () -> new EventData(ID, "t", null, utf8("{}")));
        assertThrows(NullPointerException.class, () -> new EventData(ID, "t", utf8("1"), null));
        assertThrows(NullPointerException.class, () -> EventData.of("t", (String) null));
        assertThrows(NullPointerException.class, () -> EventData.of("t", (byte[]) null));
        assertThrows(NullPointerException.class, () -> EventData.of(null, "1"));
    }

    @Test
    void blankTypeIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new EventData(ID, " ", utf8("1"), utf8("{}")));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("", "1"));
    }

    @Test
    void aTypePostgresCannotStoreAsTextIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> EventData.of("ty\u0000pe", "1"));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("ty\uDC00pe", "1"));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("type\uD83D", "1"));
        assertEquals("party\uD83C\uDF89", EventData.of("party\uD83C\uDF89", "1").type());
    }

    // factories and withers

    @Test
    void factoriesGiveRandomDistinctIdsAndEmptyMetadata() {
        Set<UUID> ids = new HashSet<>();
        for (int i = 0; i < 100; i++) {
            ids.add(EventData.of("t", "1").eventId());
        }
        assertEquals(100, ids.size());

        EventData fromText = EventData.of("account.opened", "{\"owner\":\"ann\"}");
        EventData fromBytes = EventData.of("account.opened", utf8("{\"owner\":\"ann\"}"));
        assertEquals("account.opened", fromText.type());
        assertEquals("{\"owner\":\"ann\"}", fromText.dataAsString());
        assertEquals("{}", fromText.metadataAsString());
        assertEquals("{}", fromBytes.metadataAsString());
        assertArrayEquals(fromText.data(), fromBytes.data());
        assertNotEquals(fromText.eventId(), fromBytes.eventId());
        assertNotEquals(fromText, fromBytes);
    }

    @Test
    void factoryWithMetadataKeepsIt() {
        EventData a = EventData.of("t", utf8("1"), utf8("{\"trace\":\"x\"}"));
        EventData b = EventData.of("t", utf8("1"), utf8("{\"trace\":\"x\"}"));

        assertEquals("{\"trace\":\"x\"}", a.metadataAsString());
        assertNotEquals(a.eventId(), b.eventId());
    }

    @Test
    void withEventIdReplacesOnlyTheId() {
        EventData event = EventData.of("t", utf8("[1]"), utf8("{\"m\":1}"));
        UUID other = UUID.randomUUID();

        EventData changed = event.withEventId(other);

        assertEquals(other, changed.eventId());
        assertEquals(new EventData(other, "t", utf8("[1]"), utf8("{\"m\":1}")), changed);
        assertThrows(NullPointerException.class, () -> event.withEventId(null));
    }

    @Test
    void derivedEventsShareNothingACallerCanChange() {
        EventData event = EventData.of("t", utf8("{\"a\":1}"), utf8("{\"m\":1}"));
        EventData derived = event.withEventId(UUID.randomUUID()).withMetadata(utf8("{\"m\":2}"));

        byte[] out = derived.data();
        out[0] = ' ';
        assertEquals("{\"a\":1}", derived.dataAsString());
        assertEquals("{\"a\":1}", event.dataAsString());
        java.nio.ByteBuffer view = derived.dataBuffer();
        assertFalse(view.hasArray());
        assertThrows(java.nio.ReadOnlyBufferException.class, () -> view.put(0, (byte) ' '));
        assertEquals("{\"m\":2}", StandardCharsets.UTF_8.decode(derived.metadataBuffer()).toString());
        // the hand-over of shared arrays ends with the derived event: the next construction copies again
        byte[] given = utf8("[1]");
        EventData next = new EventData(ID, "t", given, utf8("{}"));
        given[0] = ' ';
        assertEquals("[1]", next.dataAsString());
    }

    @Test
    void withMetadataReplacesOnlyTheMetadataAndValidatesIt() {
        EventData event = new EventData(ID, "t", utf8("[1]"), utf8("{}"));

        EventData changed = event.withMetadata(utf8("{\"m\":1}"));

        assertEquals(new EventData(ID, "t", utf8("[1]"), utf8("{\"m\":1}")), changed);
        assertEquals("{}", event.metadataAsString());
        assertThrows(IllegalArgumentException.class, () -> event.withMetadata(utf8("[]")));
        assertThrows(IllegalArgumentException.class, () -> event.withMetadata(utf8("{")));
        assertThrows(NullPointerException.class, () -> event.withMetadata(null));
    }

    @Test
    void toStringShowsIdTypeAndSizesButNotThePayload() {
        EventData event = new EventData(ID, "account.opened", utf8("{\"secret\":\"hunter2\"}"),
                utf8("{\"token\":\"abc\"}"));

        String text = event.toString();

        assertTrue(text.contains(ID.toString()), text);
        assertTrue(text.contains("account.opened"), text);
        assertTrue(text.contains("20 bytes"), text);
        assertTrue(text.contains("15 bytes"), text);
        assertFalse(text.contains("hunter2"), text);
        assertFalse(text.contains("secret"), text);
        assertFalse(text.contains("token"), text);
    }

    // JSON validation

    @ParameterizedTest
    @ValueSource(strings = {
        "{}", "{\"a\":1,\"b\":[true,false,null]}", "[]", "[1,\"two\",3.5,-4e10]",
        "\"text\"", "0", "-12.5e-3", "true", "false", "null",
        " { \"a\" : 1 } \n", "\"grüße 日本 \\u00e9 \\ud83d\\ude00 😀\"", "{\"ключ\":\"значение\"}",
        "{\"a\":{\"b\":{\"c\":[[[{\"d\":[]}]]]}}}", "\"a\\nb\\t\\\"q\\\"\\\\\"", "\"\\u0001\""
    })
    void acceptsAnyOneJsonValue(String json) {
        EventData event = assertDoesNotThrow(() -> EventData.of("t", json));
        assertEquals(json, event.dataAsString());
    }

    @Test
    void acceptsDeepNesting() {
        String deep = "[".repeat(1000) + "]".repeat(1000);
        assertDoesNotThrow(() -> EventData.of("t", deep));
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{", "}", "[1,]", "{\"a\":}", "{a:1}", "'a'", "NaN", "01", "tru", "\"unterminated",
        "{\"a\" 1}", "/* c */ 1", "// c\n1", "\"bad \\x escape\"", "[1 2]"
    })
    void rejectsInvalidJson(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventData.of("t", json));
        assertTrue(e.getMessage().startsWith("data "), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}{}", "1 2", "[] []", "{} x", "\"a\" \"b\"", "null,"})
    void rejectsTrailingContent(String json) {
        assertThrows(IllegalArgumentException.class, () -> EventData.of("t", json));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "\n\t "})
    void rejectsEmptyData(String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> EventData.of("t", json));
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
    }

    @Test
    void rejectsInvalidUtf8() {
        assertThrows(IllegalArgumentException.class, () -> withData(bytes('"', 0xFF, '"')));
        assertThrows(IllegalArgumentException.class, () -> withData(bytes(0xFF)));
        assertThrows(IllegalArgumentException.class, () -> withData(bytes('"', 0x80, '"')));
        assertThrows(IllegalArgumentException.class, () -> withData(bytes('"', 0xC3, '"')));
        assertThrows(IllegalArgumentException.class, () -> withData(bytes('[', '"', 0xE2, 0x82, '"', ']')));
        assertThrows(IllegalArgumentException.class, () -> withMetadata(bytes('{', '"', 0xFE, '"', ':', '1', '}')));
    }

    @Test
    void rejectsTheNulEscape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> EventData.of("t", "\"a\\u0000b\""));
        assertTrue(e.getMessage().contains("\\u0000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EventData.of("t", "{\"\\u0000\":1}"));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("t", "[\"\\\\\", \"\\u0000\"]"));
        assertThrows(IllegalArgumentException.class, () -> withMetadata(utf8("{\"m\":\"\\u0000\"}")));
    }

    @Test
    void acceptsAnEscapedBackslashFollowedByU0000Text() {
        // JSON "\\u0000" is a backslash then the text u0000, not a NUL character.
        EventData event = EventData.of("t", "\"\\\\u0000\"");
        assertEquals("\"\\\\u0000\"", event.dataAsString());
        assertDoesNotThrow(() -> EventData.of("t", "{\"p\":\"C:\\\\u0000\\\\x\"}"));
        assertDoesNotThrow(() -> EventData.of("t", "\"\\u0001\\u1000\\u0100\""));
    }

    @ParameterizedTest
    @ValueSource(strings = {"[]", "1", "\"{}\"", "null", "true"})
    void metadataMustBeAnObject(String metadata) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> withMetadata(utf8(metadata)));
        assertTrue(e.getMessage().startsWith("metadata"), e.getMessage());
    }

    @Test
    void metadataMustBeValidJson() {
        assertThrows(IllegalArgumentException.class, () -> withMetadata(utf8("")));
        assertThrows(IllegalArgumentException.class, () -> withMetadata(utf8("{")));
        assertThrows(IllegalArgumentException.class, () -> withMetadata(utf8("{}{}")));
        assertDoesNotThrow(() -> withMetadata(utf8("{\"a\":{\"b\":[1]}}")));
    }

    @Test
    void acceptsA16MegabytePayload() {
        int chars = 16 * 1024 * 1024;
        byte[] json = new byte[chars + 2];
        Arrays.fill(json, (byte) 'x');
        json[0] = '"';
        json[json.length - 1] = '"';

        EventData event = EventData.of("big", json);

        assertEquals(chars + 2, event.dataLength());
    }
}
