package io.reactivees.core.internal;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.core.JsonToken;

/**
 * The JSON check accepts exactly what PostgreSQL {@code jsonb} accepts as UTF-8 input. Raw byte
 * sequences are written in hex, as most of them cannot be written as Java strings.
 */
class JsonBytesTest {

    private static final UUID ID = UUID.fromString("7d444840-9dc0-11d1-b245-5ffdce74fad2");

    private static byte[] hex(String spaced) {
        return HexFormat.of().parseHex(spaced.replace(" ", ""));
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static IllegalArgumentException rejected(byte[] json) {
        return assertThrows(IllegalArgumentException.class, () -> JsonBytes.requireJson(json, "data"));
    }

    private static IllegalArgumentException rejected(String json) {
        return rejected(utf8(json));
    }

    private static void assertMessage(IllegalArgumentException e, String start, String part) {
        assertTrue(e.getMessage().startsWith(start), e.getMessage());
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    // strict UTF-8

    @ParameterizedTest
    @CsvSource({
        "22 C0 80 22, overlong encoding",
        "22 C1 BF 22, overlong encoding",
        "22 E0 80 80 22, overlong encoding",
        "22 E0 9F BF 22, overlong encoding",
        "22 F0 80 80 80 22, overlong encoding",
        "22 F0 8F BF BF 22, overlong encoding",
        "22 ED A0 80 22, encoded UTF-16 surrogate",
        "22 ED B0 80 22, encoded UTF-16 surrogate",
        "22 ED BF BF 22, encoded UTF-16 surrogate",
        "22 ED A0 BD ED B8 80 22, encoded UTF-16 surrogate",
        "22 F4 90 80 80 22, code point above U+10FFFF",
        "22 F4 BF BF BF 22, code point above U+10FFFF",
        "22 F5 80 80 80 22, code point above U+10FFFF",
        "22 F7 BF BF BF 22, code point above U+10FFFF",
        "22 F8 88 80 80 80 22, never appears in UTF-8",
        "22 FF 22, never appears in UTF-8",
        "22 80 22, continuation byte without a lead byte",
        "22 BF 22, continuation byte without a lead byte",
        "22 C3 22, incomplete multi-byte sequence",
        "22 E2 82 22, incomplete multi-byte sequence",
        "22 F0 9F 98 22, incomplete multi-byte sequence",
        "22 E2 28 A1 22, incomplete multi-byte sequence",
        "22 C3, incomplete multi-byte sequence",
    })
    void rejectsInvalidUtf8SayingWhy(String bytes, String reason) {
        IllegalArgumentException e = rejected(hex(bytes));

        assertMessage(e, "data is not valid UTF-8: ", reason);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "22 C2 80 22", // U+0080, the smallest two-byte form
        "22 DF BF 22", // U+07FF
        "22 E0 A0 80 22", // U+0800, the smallest three-byte form
        "22 ED 9F BF 22", // U+D7FF, just below the surrogates
        "22 EE 80 80 22", // U+E000, just above them
        "22 EF BF BF 22", // U+FFFF
        "22 EF BB BF 22", // U+FEFF inside a string is an ordinary character
        "22 F0 90 80 80 22", // U+10000, the smallest four-byte form
        "22 F0 9F 98 80 22", // U+1F600
        "22 F4 8F BF BF 22", // U+10FFFF, the largest code point
        "7B 22 C3 A9 22 3A 22 E6 97 A5 22 7D", // a non-ASCII property name and value
    })
    void acceptsEveryUtf8Boundary(String bytes) {
        assertDoesNotThrow(() -> JsonBytes.requireJson(hex(bytes), "data"));
    }

    // other encodings

    @ParameterizedTest
    @ValueSource(strings = {"UTF-16BE", "UTF-16LE", "UTF-32BE", "UTF-32LE"})
    void rejectsJsonInOtherEncodings(String charset) {
        byte[] json = "{\"a\":\"b\"}".getBytes(Charset.forName(charset));

        IllegalArgumentException e = rejected(json);

        assertMessage(e, "data must be UTF-8 JSON text", "zero byte");
    }

    @Test
    void rejectsUtf16WithAByteOrderMark() {
        assertThrows(IllegalArgumentException.class,
                () -> JsonBytes.requireJson("{\"a\":1}".getBytes(StandardCharsets.UTF_16), "data"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"00 31", "31 00", "22 00 22", "7B 7D 00", "00"})
    void rejectsAnyZeroByte(String bytes) {
        IllegalArgumentException e = rejected(hex(bytes));

        assertMessage(e, "data must be UTF-8 JSON text", "zero byte");
    }

    @Test
    void rejectsAUtf8ByteOrderMarkAtTheStart() {
        IllegalArgumentException e = rejected(hex("EF BB BF 7B 7D"));

        assertMessage(e, "data must not start with a byte order mark", "EF BB BF");
        assertThrows(IllegalArgumentException.class, () -> JsonBytes.requireJson(hex("EF BB BF"), "data"));
    }

    // escapes

    @ParameterizedTest
    @ValueSource(strings = {
        "\"\\ud800\"", "\"\\uD800\"", "\"\\udbff\"", "\"a\\ud83d\"", "\"\\ud83dx\"", "\"\\ud83d\\u0041\"",
        "\"\\ud83d\\ud83d\"", "\"\\ud83d\\n\\ude00\"", "\"\\ud83d \\ude00\"", "\"\\ud83d\\\\ude00\"",
        "\"\\udc00\"", "\"\\uDFFF\"", "\"\\ude00\\ud83d\"", "{\"\\ud800\":1}", "[\"\\\\\", \"\\ude00\"]",
    })
    void rejectsLoneSurrogateEscapes(String json) {
        IllegalArgumentException e = rejected(json);

        assertMessage(e, "data has a lone surrogate escape", "surrogate");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\uD83d\\uDe00\"", "\"\\ud800\\udc00\"",
        "\"\\udbff\\udfff\"", "\"\\ud7ff\\ue000\\uffff\"", "{\"\\ud83d\\ude00\":\"\\ud83d\\ude00x\"}",
        "\"\\\\ud800\"", "\"\\\\udc00\"", "\"\\\\\\ud83d\\ude00\"",
    })
    void acceptsSurrogatePairsAndEscapedBackslashes(String json) {
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8(json), "data"));
    }

    @Test
    void rejectsTheNulEscapeSayingWhy() {
        IllegalArgumentException e = rejected("[\"ok\", \"\\u0000\"]");

        assertMessage(e, "data must not contain the \\u0000 escape", "NUL");
        assertThrows(IllegalArgumentException.class, () -> JsonBytes.requireJson(utf8("\"\\\\\\u0000\""), "data"));
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("\"\\\\u0000\""), "data"));
    }

    // numbers PostgreSQL numeric can hold

    @ParameterizedTest
    @ValueSource(strings = {
        "1e999999999", "-1e999999999", "1E+999999999", "[1, {\"a\": 1e999999999}]",
        "1e131072", "9.99e131072", "10e131071", "0.0001e131076", "1e1073741822",
    })
    void rejectsNumbersWithTooManyDigitsBeforeThePoint(String json) {
        IllegalArgumentException e = rejected(json);

        assertMessage(e, "data has a number PostgreSQL numeric cannot hold",
                "more than 131072 digits before the decimal point");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e-999999999", "-1e-999999999", "1e-16384", "1.5e-16383", "0e-16384", "1.0e-16383"})
    void rejectsNumbersWithTooManyDigitsAfterThePoint(String json) {
        IllegalArgumentException e = rejected(json);

        assertMessage(e, "data has a number PostgreSQL numeric cannot hold",
                "more than 16383 digits after the decimal point");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "0e1073741824", "0e-1073741824", "1e99999999999999999999", "0.0e-99999999999999999999",
        "0e1073741823", "-0e1073741823", "0.00E+1073741823", "1e1073741823",
    })
    void rejectsAHugeExponentEvenOnZero(String json) {
        IllegalArgumentException e = rejected(json);

        assertMessage(e, "data has a number PostgreSQL numeric cannot hold", "exponent");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "1e131071", "9.99e131071", "0.0001e131075", "-1E+131071", "1e-16383", "1.5e-16382", "-0.5e-16382",
        "0e999999999", "0e1073741822", "0.0e-16382", "123.456e2", "-0", "0.0", "1e0", "1E-0",
    })
    void acceptsNumbersAtTheLimits(String json) {
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8(json), "data"));
    }

    @Test
    void countsEveryWrittenDigitAfterThePointAndOnlySignificantOnesBeforeIt() {
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("0." + "0".repeat(16383)), "data"));
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("1." + "9".repeat(16383)), "data"));
        assertThrows(IllegalArgumentException.class,
                () -> JsonBytes.requireJson(utf8("0." + "0".repeat(16384)), "data"));
        assertThrows(IllegalArgumentException.class,
                () -> JsonBytes.requireJson(utf8("1." + "9".repeat(16384)), "data"));
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("0." + "0".repeat(20000) + "1e20000"), "data"));
    }

    @Test
    void limitsIntegersTo131072Digits() {
        String max = "9".repeat(131072);

        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8(max), "data"));
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("-" + max), "data"));
        assertDoesNotThrow(() -> JsonBytes.requireJson(utf8("[" + max + ".5]"), "data"));
        IllegalArgumentException e = rejected("{\"n\":1" + "0".repeat(131072) + "}");
        assertMessage(e, "data has a number", "more than 131072 digits before the decimal point");
        assertThrows(IllegalArgumentException.class, () -> JsonBytes.requireJson(utf8("-1" + max), "data"));
        assertThrows(IllegalArgumentException.class, () -> JsonBytes.requireJson(utf8("1" + max + ".0"), "data"));
    }

    // what the check keeps

    @Test
    void returnsTheFirstToken() {
        assertEquals(JsonToken.START_OBJECT, JsonBytes.requireJson(utf8("{\"a\":[1]}"), "data"));
        assertEquals(JsonToken.START_ARRAY, JsonBytes.requireJson(utf8(" [1, 2.5]"), "data"));
        assertEquals(JsonToken.VALUE_NUMBER_FLOAT, JsonBytes.requireJson(utf8("2.5"), "data"));
        assertEquals(JsonToken.VALUE_NUMBER_INT, JsonBytes.requireJson(utf8("-7"), "data"));
        assertEquals(JsonToken.VALUE_STRING, JsonBytes.requireJson(utf8("\"\\ud83d\\ude00\""), "data"));
        assertEquals(JsonToken.VALUE_NULL, JsonBytes.requireJson(utf8("null"), "data"));
    }

    @Test
    void stillRejectsTrailingContentAndSecondValues() {
        assertMessage(rejected("{} {}"), "data must be a single JSON value", "trailing content");
        assertMessage(rejected("[1] 2"), "data must be a single JSON value", "trailing content");
        assertMessage(rejected("[1"), "data is not valid JSON", "");
        assertMessage(rejected(""), "data must be a JSON value", "empty");
    }

    @Test
    void eventDataNamesTheMetadataWhenItIsTheBadPart() {
        byte[] overlong = hex("7B 22 61 22 3A 22 C0 80 22 7D");

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", utf8("{}"), overlong));
        IllegalArgumentException d = assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", overlong, utf8("{}")));

        assertMessage(e, "metadata is not valid UTF-8", "overlong");
        assertMessage(d, "data is not valid UTF-8", "overlong");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", utf8("1"), utf8("{\"a\":1e-999999999}"))), "metadata has a number", "");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", utf8("1"), utf8("{\"a\":\"\\udc00\"}"))), "metadata has a lone", "");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", utf8("1"), hex("EF BB BF 7B 7D"))), "metadata must not start", "");
        assertMessage(assertThrows(IllegalArgumentException.class,
                () -> new EventData(ID, "t", utf8("1"), "{}".getBytes(StandardCharsets.UTF_16LE))),
                "metadata must be UTF-8", "zero byte");
    }

    @Test
    void acceptsA16MegabytePayloadOfMixedText() {
        String unit = "aé日😀 \\n\\\\\\ud83d\\ude00\\u00e9 ";
        StringBuilder text = new StringBuilder(16 * 1024 * 1024 + 64).append("[\"");
        while (text.length() < 16 * 1024 * 1024) {
            text.append(unit);
        }
        byte[] json = utf8(text.append("\", 1.5e-3]").toString());

        assertEquals(JsonToken.START_ARRAY, JsonBytes.requireJson(json, "data"));
    }
}
