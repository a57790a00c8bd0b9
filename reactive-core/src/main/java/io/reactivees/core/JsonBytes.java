package io.reactivees.core;

import java.nio.charset.StandardCharsets;
import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * Checks that bytes hold exactly one UTF-8 JSON value that every store can keep. The check is a
 * streaming scan (no tree is built), strict like PostgreSQL's {@code jsonb} input: no comments,
 * no trailing content, and no escaped NUL character (backslash-u0000), which {@code jsonb} rejects.
 */
final class JsonBytes {

    static final byte[] EMPTY_OBJECT = "{}".getBytes(StandardCharsets.UTF_8);

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNestingDepth(6400)
                    .build())
            .build();

    private JsonBytes() {}

    /**
     * Checks that {@code bytes} hold one JSON value and returns its first token, which tells
     * whether it is an object, an array or a scalar.
     *
     * @throws IllegalArgumentException naming {@code what} when they do not
     */
    static JsonToken requireJson(byte[] bytes, String what) {
        JsonToken first;
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), bytes)) {
            first = parser.nextToken();
            if (first == null) {
                throw new IllegalArgumentException(what + " must be a JSON value, but is empty");
            }
            parser.skipChildren();
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException(what + " must be a single JSON value, but has trailing content");
            }
        } catch (JacksonException e) {
            throw new IllegalArgumentException(what + " is not valid UTF-8 JSON: " + e.getOriginalMessage(), e);
        }
        if (containsNulEscape(bytes)) {
            throw new IllegalArgumentException(what + " must not contain the \\u0000 escape");
        }
        return first;
    }

    /** Finds an escaped NUL (backslash-u0000) that is not an escaped backslash followed by text. */
    private static boolean containsNulEscape(byte[] bytes) {
        for (int i = 0; i + 5 < bytes.length; i++) {
            if (bytes[i] == '\\') {
                if (bytes[i + 1] == 'u' && bytes[i + 2] == '0' && bytes[i + 3] == '0'
                        && bytes[i + 4] == '0' && bytes[i + 5] == '0') {
                    return true;
                }
                i++; // skip the escaped character: an escaped backslash followed by "u0000" is text
            }
        }
        return false;
    }
}
