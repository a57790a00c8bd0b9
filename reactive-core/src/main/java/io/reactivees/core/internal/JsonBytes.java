package io.reactivees.core.internal;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.json.JsonFactory;

/**
 * Checks that bytes hold exactly one UTF-8 JSON value that every store can keep: the check accepts
 * what PostgreSQL's {@code jsonb} accepts as UTF-8 input and rejects the rest, so an append never
 * passes the in-memory store and then fails on PostgreSQL.
 *
 * <p>Two passes, neither building a tree nor allocating per byte:
 *
 * <ol>
 *   <li>A byte scan. Jackson checks only the shape of multi-byte sequences and guesses UTF-16 or
 *       UTF-32 from zero bytes, so the scan itself requires strict UTF-8 (no overlong forms, no
 *       encoded surrogates, nothing above U+10FFFF), no zero byte and no byte order mark. It also
 *       checks the escapes {@code jsonb} refuses: the NUL escape (backslash-u0000) and surrogate
 *       escapes that are not a high one immediately followed by a low one.
 *   <li>A streaming Jackson parse: strict JSON (no comments, no trailing content, one root
 *       value), and every number must fit PostgreSQL's {@code numeric}.
 * </ol>
 *
 * <p>Event payloads and snapshot states share this check. Internal: no compatibility promise.
 */
public final class JsonBytes {

    /** PostgreSQL {@code numeric} keeps at most this many digits before the decimal point. */
    static final int MAX_DIGITS_BEFORE_POINT = 131072;

    /** PostgreSQL {@code numeric} keeps at most this many digits after the decimal point. */
    static final int MAX_DIGITS_AFTER_POINT = 16383;

    /**
     * PostgreSQL refuses an exponent of this magnitude or more, even when the digits are all zero
     * ({@code exponent >= INT_MAX / 2} in its numeric input).
     */
    static final long MAX_EXPONENT = Integer.MAX_VALUE / 2;

    private static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNestingDepth(6400)
                    .build())
            .build();

    private JsonBytes() {}

    /**
     * Checks that {@code bytes} hold one JSON value that PostgreSQL {@code jsonb} accepts and
     * returns its first token, which tells whether it is an object, an array or a scalar.
     *
     * @param bytes the bytes to check
     * @param what names the bytes in the exception message, e.g. {@code data}
     * @return the first token of the value
     * @throws IllegalArgumentException naming {@code what} and the reason when they do not
     */
    public static JsonToken requireJson(byte[] bytes, String what) {
        requireUtf8Text(bytes, what);
        try (JsonParser parser = FACTORY.createParser(ObjectReadContext.empty(), bytes)) {
            JsonToken first = parser.nextToken();
            if (first == null) {
                throw new IllegalArgumentException(what + " must be a JSON value, but is empty");
            }
            JsonToken token = first;
            int depth = 0;
            while (true) {
                if (token.isStructStart()) {
                    depth++;
                } else if (token.isStructEnd()) {
                    depth--;
                } else if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                    requireNumericFits(parser, what);
                }
                if (depth == 0) {
                    break;
                }
                token = parser.nextToken();
                if (token == null) {
                    throw new IllegalArgumentException(what + " is not valid JSON: unexpected end of input");
                }
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException(what + " must be a single JSON value, but has trailing content");
            }
            return first;
        } catch (JacksonException e) {
            throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
    }

    // ---- byte scan: strict UTF-8, no NUL byte, no BOM, escapes jsonb accepts

    private static void requireUtf8Text(byte[] b, String what) {
        int n = b.length;
        if (n >= 3 && b[0] == (byte) 0xEF && b[1] == (byte) 0xBB && b[2] == (byte) 0xBF) {
            throw new IllegalArgumentException(what + " must not start with a byte order mark (EF BB BF)");
        }
        int i = 0;
        while (i < n) {
            int c = b[i];
            if (c > 0) {
                i = c == '\\' ? checkEscape(b, i, what) : i + 1;
            } else if (c == 0) {
                throw new IllegalArgumentException(what + " must be UTF-8 JSON text, but has a zero byte at byte "
                        + i + " (UTF-16 and UTF-32 are not accepted)");
            } else {
                i += checkMultiByteSequence(b, i, what);
            }
        }
    }

    /** Checks the UTF-8 sequence whose lead byte (not ASCII) is at {@code i}; returns its length. */
    private static int checkMultiByteSequence(byte[] b, int i, String what) {
        int lead = b[i] & 0xFF;
        int length;
        int secondMin = 0x80;
        int secondMax = 0xBF;
        if (lead < 0xC0) {
            throw invalidUtf8(what, "continuation byte without a lead byte", i);
        } else if (lead < 0xC2) {
            throw invalidUtf8(what, "overlong encoding", i);
        } else if (lead < 0xE0) {
            length = 2;
        } else if (lead < 0xF0) {
            length = 3;
            if (lead == 0xE0) {
                secondMin = 0xA0; // below: overlong
            } else if (lead == 0xED) {
                secondMax = 0x9F; // above: a UTF-16 surrogate
            }
        } else if (lead < 0xF5) {
            length = 4;
            if (lead == 0xF0) {
                secondMin = 0x90; // below: overlong
            } else if (lead == 0xF4) {
                secondMax = 0x8F; // above: beyond U+10FFFF
            }
        } else if (lead < 0xF8) {
            throw invalidUtf8(what, "code point above U+10FFFF", i);
        } else {
            throw invalidUtf8(what, "byte 0x" + Integer.toHexString(lead).toUpperCase() + " never appears in UTF-8", i);
        }
        for (int k = 1; k < length; k++) {
            if (i + k >= b.length || (b[i + k] & 0xC0) != 0x80) {
                throw invalidUtf8(what, "incomplete multi-byte sequence", i);
            }
        }
        int second = b[i + 1] & 0xFF;
        if (second < secondMin) {
            throw invalidUtf8(what, "overlong encoding", i);
        }
        if (second > secondMax) {
            throw invalidUtf8(what, lead == 0xED ? "encoded UTF-16 surrogate" : "code point above U+10FFFF", i);
        }
        return length;
    }

    private static IllegalArgumentException invalidUtf8(String what, String reason, int at) {
        return new IllegalArgumentException(what + " is not valid UTF-8: " + reason + " at byte " + at);
    }

    /**
     * Checks the escape whose backslash is at {@code i}; returns the index after it. Backslashes
     * appear only inside strings in valid JSON, where they always start an escape, so scanning
     * escape by escape from the start stays in step; whatever is malformed here Jackson rejects.
     */
    private static int checkEscape(byte[] b, int i, String what) {
        if (i + 1 >= b.length) {
            return i + 1;
        }
        byte next = b[i + 1];
        if (next != 'u') {
            // skip the escaped character (an escaped backslash is not the start of an escape);
            // a non-ASCII byte is left to the UTF-8 check
            return next > 0 ? i + 2 : i + 1;
        }
        int unit = hex4(b, i + 2);
        if (unit < 0) {
            return i + 2;
        }
        if (unit == 0) {
            throw new IllegalArgumentException(what + " must not contain the \\u0000 escape (at byte " + i
                    + "): PostgreSQL jsonb cannot store the NUL character");
        }
        if (unit >= 0xD800 && unit <= 0xDBFF) {
            int low = i + 7 < b.length && b[i + 6] == '\\' && b[i + 7] == 'u' ? hex4(b, i + 8) : -1;
            if (low < 0xDC00 || low > 0xDFFF) {
                throw new IllegalArgumentException(what + " has a lone surrogate escape at byte " + i
                        + ": a high surrogate escape (D800-DBFF) must be followed at once by a low one (DC00-DFFF)");
            }
            return i + 12;
        }
        if (unit >= 0xDC00 && unit <= 0xDFFF) {
            throw new IllegalArgumentException(what + " has a lone surrogate escape at byte " + i
                    + ": a low surrogate escape (DC00-DFFF) must follow a high one (D800-DBFF)");
        }
        return i + 6;
    }

    /** Returns the value of the four hex digits (either case) at {@code at}, or -1 if there are none. */
    private static int hex4(byte[] b, int at) {
        if (at + 3 >= b.length) {
            return -1;
        }
        int value = 0;
        for (int k = at; k < at + 4; k++) {
            int c = b[k];
            int digit;
            if (c >= '0' && c <= '9') {
                digit = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                digit = c - 'a' + 10;
            } else if (c >= 'A' && c <= 'F') {
                digit = c - 'A' + 10;
            } else {
                return -1;
            }
            value = (value << 4) | digit;
        }
        return value;
    }

    // ---- numbers: what PostgreSQL numeric can hold

    /**
     * Checks that the current number token fits PostgreSQL {@code numeric}, reading its text (which
     * Jackson has already checked against the JSON number grammar) rather than converting it: a
     * {@code BigDecimal} of a huge exponent or of 100,000 digits costs far more than counting.
     */
    private static void requireNumericFits(JsonParser parser, String what) {
        char[] text = parser.getStringCharacters();
        int i = parser.getStringOffset();
        int end = i + parser.getStringLength();
        if (text[i] == '-') {
            i++;
        }
        int intStart = i;
        while (i < end && isDigit(text[i])) {
            i++;
        }
        int intDigits = i - intStart;
        int fracStart = i;
        int fracDigits = 0;
        if (i < end && text[i] == '.') {
            fracStart = ++i;
            while (i < end && isDigit(text[i])) {
                i++;
            }
            fracDigits = i - fracStart;
        }
        long exponent = 0;
        if (i < end && (text[i] == 'e' || text[i] == 'E')) {
            i++;
            boolean negative = false;
            if (i < end && (text[i] == '+' || text[i] == '-')) {
                negative = text[i] == '-';
                i++;
            }
            for (; i < end; i++) {
                exponent = exponent * 10 + (text[i] - '0');
                if (exponent >= MAX_EXPONENT) {
                    throw numberTooLarge(what, "its exponent is +/-" + MAX_EXPONENT + " or beyond");
                }
            }
            if (negative) {
                exponent = -exponent;
            }
        }
        // PostgreSQL keeps every written fraction digit, trailing zeros included, as the scale.
        if (fracDigits - exponent > MAX_DIGITS_AFTER_POINT) {
            throw numberTooLarge(what, "more than " + MAX_DIGITS_AFTER_POINT + " digits after the decimal point");
        }
        // Digits before the point count from the first non-zero digit; zero has none.
        int leadingZeros = 0;
        int digits = intDigits + fracDigits;
        while (leadingZeros < digits && digitAt(text, intStart, intDigits, fracStart, leadingZeros) == '0') {
            leadingZeros++;
        }
        if (leadingZeros < digits && intDigits - leadingZeros + exponent > MAX_DIGITS_BEFORE_POINT) {
            throw numberTooLarge(what, "more than " + MAX_DIGITS_BEFORE_POINT + " digits before the decimal point");
        }
    }

    private static char digitAt(char[] text, int intStart, int intDigits, int fracStart, int index) {
        return index < intDigits ? text[intStart + index] : text[fracStart + index - intDigits];
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private static IllegalArgumentException numberTooLarge(String what, String reason) {
        return new IllegalArgumentException(what + " has a number PostgreSQL numeric cannot hold: " + reason);
    }
}
