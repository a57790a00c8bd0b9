package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Payloads at the edges: large documents round trip through {@code jsonb} (compared as JSON
 * values, since {@code jsonb} normalises whitespace and key order); bytes that are not JSON are
 * refused before any I/O; and the construction-time check agrees with PostgreSQL on values at the
 * limits of what {@code jsonb} takes, so nothing passes the check and then fails in the database.
 */
class PayloadIT {

    /** Reads numbers exactly and as deep and long as the store takes them. */
    private static final JsonMapper JSON = JsonMapper.builder(JsonFactory.builder()
                    .streamReadConstraints(StreamReadConstraints.builder()
                            .maxNumberLength(Integer.MAX_VALUE)
                            .maxStringLength(Integer.MAX_VALUE)
                            .maxNestingDepth(10_000)
                            .build())
                    .build())
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .build();

    /** Numbers compare by value: jsonb keeps {@code 0e5} as {@code 0} and {@code 1e2} as {@code 100}. */
    private static final Comparator<JsonNode> SAME_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    private StoreOnSchema on;

    @BeforeEach
    void store() {
        on = PgTestSupport.newStore(options -> options.pageSize(8).pollInterval(Duration.ofMillis(200)));
    }

    @AfterEach
    void close() {
        on.close();
    }

    // ------------------------------------------------------------------ large payloads

    @Test
    void aOneMegabytePayloadRoundTripsThroughEveryRead() {
        byte[] json = document(1 << 20);
        EventData event = EventData.of("big", json);
        StreamId stream = StreamId.of("doc", "1mb");
        PgTestSupport.Collected live = on.follow(EventQuery.all());

        on.store.append(stream, ExpectedVersion.noStream(), List.of(event)).block(TIMEOUT);

        JsonNode expected = JSON.readTree(json);
        assertEquals(expected, tree(on.store.readStream(stream, ReadOptions.forwards()).blockFirst(TIMEOUT)));
        assertEquals(expected, tree(on.loadAll().get(0)));
        live.awaitAtLeast(1);
        assertEquals(expected, tree(live.snapshot().get(0)));
    }

    @Test
    void aSixteenMegabytePayloadRoundTrips() {
        byte[] json = document(16 << 20);
        assertTrue(json.length >= 16 << 20);
        EventData event = EventData.of("huge", json);
        StreamId stream = StreamId.of("doc", "16mb");

        AppendResult result = on.store.append(stream, ExpectedVersion.noStream(),
                List.of(EventData.of("small", "{\"before\":true}"), event, EventData.of("small", "{\"after\":true}"))).block(TIMEOUT);

        assertEquals(3, result.toVersion());
        List<RecordedEvent> read = on.store.readStream(stream, ReadOptions.forwards()).collectList().block(TIMEOUT);
        assertEquals(3, read.size());
        assertEquals(JSON.readTree(json), tree(read.get(1)));
        assertEquals(JSON.readTree("{\"after\":true}"), tree(read.get(2)));
        assertEquals(3, on.loadAll().size());
    }

    @Test
    void whitespaceAndKeyOrderAreNormalisedButTheValueIsKept() {
        String pretty = "{\n  \"z\" : [ 1, 2.50, \"\\u00e9\\n\" ],\n  \"a\" : { \"nested\" : null, \"t\" : true }\n}";
        StreamId stream = StreamId.of("doc", "pretty");
        on.store.append(stream, ExpectedVersion.noStream(), List.of(EventData.of("pretty", pretty))).block(TIMEOUT);

        RecordedEvent read = on.store.readStream(stream, ReadOptions.forwards()).blockFirst(TIMEOUT);

        assertEquals(JSON.readTree(pretty), tree(read));
        assertEquals("é\n", JSON.readTree(read.data()).get("z").get(2).asString());
    }

    /**
     * A JSON object of at least {@code size} bytes: many records of strings with escapes and
     * non-ASCII text, numbers and nesting, pretty-printed with spaces jsonb will not keep.
     */
    private static byte[] document(int size) {
        StringBuilder out = new StringBuilder(size + 4096);
        out.append("{ \"kind\" : \"document\", \"records\" : [");
        int i = 0;
        while (out.length() < size) {
            if (i > 0) {
                out.append(", ");
            }
            out.append("{ \"i\" : ").append(i)
                    .append(", \"text\" : \"line \\\"").append(i).append("\\\"\\n\\ttabbed ünïcødé 日本語 🎉 \\\\ backslash\"")
                    .append(", \"n\" : ").append(i * 1.5)
                    .append(", \"tags\" : [\"a\", \"b\", {\"deep\" : [").append(i % 7).append(", null, false]}]")
                    .append(" }");
            i++;
        }
        out.append("], \"count\" : ").append(i).append(" }");
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static JsonNode tree(RecordedEvent event) {
        return JSON.readTree(event.data());
    }

    // ------------------------------------------------------------------ invalid JSON

    @ParameterizedTest
    @ValueSource(strings = {
        "", " ", "{", "{\"a\":}", "{\"a\":1}}", "[1,]", "{'a':1}", "NaN", "undefined", "{\"a\":1} {\"b\":2}",
        "// comment\n{}", "\"unterminated", "{\"a\" 1}", "01", "1.", ".5", "+1", "\"\\x41\"",
        "\"\\u0000\"", "\"\\ud800\"", "\"\\udc00\\ud800\"", "1e1073741824", "0e1073741823", "1e-16384",
    })
    void textThatIsNotJsonPostgresKeepsIsRefusedAtConstruction(String text) {
        assertThrows(IllegalArgumentException.class, () -> EventData.of("bad", text));
        assertThrows(IllegalArgumentException.class, () -> EventData.of("bad", "{}".getBytes(StandardCharsets.UTF_8),
                text.getBytes(StandardCharsets.UTF_8)));
        assertNothingStored();
    }

    @Test
    void bytesThatAreNotUtf8JsonAreRefusedAtConstruction() {
        List<byte[]> bad = List.of(
                new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'},              // byte order mark
                "{\"a\":1}".getBytes(StandardCharsets.UTF_16LE),                           // UTF-16
                new byte[] {'"', (byte) 0xC0, (byte) 0x80, '"'},                            // overlong NUL
                new byte[] {'"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"'},               // encoded surrogate
                new byte[] {'"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"'},  // above U+10FFFF
                new byte[] {'"', (byte) 0xE2, (byte) 0x82, '"'},                            // truncated sequence
                new byte[] {'"', 'a', 0, 'b', '"'},                                         // zero byte
                new byte[] {'"', (byte) 0xFF, '"'});
        for (byte[] bytes : bad) {
            assertThrows(IllegalArgumentException.class, () -> new EventData(UUID.randomUUID(), "bad", bytes, "{}".getBytes(StandardCharsets.UTF_8)));
        }
        assertNothingStored();
    }

    private void assertNothingStored() {
        assertEquals(0, on.store.load(EventQuery.all()).count().block(TIMEOUT));
    }

    // ------------------------------------------------------------------ the check agrees with jsonb

    /**
     * Values at the limits of {@code jsonb} and {@code numeric}: each is either refused by the
     * {@link EventData} check and by PostgreSQL, or accepted by both and then stored and read back
     * as the same JSON value.
     */
    @Test
    void theConstructionCheckAgreesWithPostgresAtTheLimits() {
        List<String> candidates = new ArrayList<>();
        for (String mantissa : List.of("0", "-0", "0.0", "1", "9.99", "0.0001", "10", "1.50")) {
            for (long exponent : List.of(131_068L, 131_071L, 131_072L, 131_075L, -16_382L, -16_383L, -16_384L,
                    1_073_741_822L, 1_073_741_823L, -1_073_741_822L, -1_073_741_823L)) {
                candidates.add(mantissa + "e" + exponent);
            }
        }
        candidates.addAll(List.of(
                "\"\\ud83d\\ude00\"", "\"\\udbff\\udfff\"", "\"\\ud800\"", "\"\\udfff\"", "\"\\u0000\"", "\"\\\\u0000\"",
                "\"\\u0001\"", "\"\u007f\"", "\"\\uFFFF\"", "\"\\uFFFE\"", "\"\uFFFF\"",
                "[" + "[".repeat(2000) + "]".repeat(2000) + "]", "{\"a\":1,\"a\":2}",
                "9".repeat(131_072), "9".repeat(131_073), "0." + "0".repeat(16_383), "0." + "0".repeat(16_384)));

        List<String> disagreements = new ArrayList<>();
        List<EventData> accepted = new ArrayList<>();
        try (RawSession sql = new RawSession()) {
            for (String candidate : candidates) {
                EventData event = checked(candidate);
                boolean postgresTakesIt = jsonbAccepts(sql, candidate);
                if ((event != null) != postgresTakesIt) {
                    disagreements.add(abbreviate(candidate) + " check=" + (event != null) + " jsonb=" + postgresTakesIt);
                }
                if (event != null && postgresTakesIt) {
                    accepted.add(event);
                }
            }
        }
        assertEquals(List.of(), disagreements, "values the check and jsonb judge differently");

        StreamId stream = StreamId.of("limits", "1");
        on.store.append(stream, ExpectedVersion.noStream(), accepted).block(TIMEOUT);
        List<RecordedEvent> read = on.store.readStream(stream, ReadOptions.forwards()).collectList().block(TIMEOUT);
        assertEquals(accepted.size(), read.size());
        for (int i = 0; i < read.size(); i++) {
            JsonNode stored = tree(read.get(i));
            assertTrue(JSON.readTree(accepted.get(i).data()).equals(SAME_VALUE, stored),
                    "round trip of " + abbreviate(accepted.get(i).dataAsString()) + " gave " + abbreviate(new String(read.get(i).data(), StandardCharsets.UTF_8)));
        }
    }

    private static EventData checked(String json) {
        try {
            return EventData.of("limit", json);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    /** Whether PostgreSQL turns the text into {@code jsonb}. */
    private static boolean jsonbAccepts(RawSession sql, String json) {
        try {
            sql.query("SELECT $1::jsonb AS j", json);
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 20) + "...(" + text.length() + " chars)";
    }
}
