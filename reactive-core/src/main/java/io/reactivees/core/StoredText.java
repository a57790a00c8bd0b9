package io.reactivees.core;

/**
 * The rule for names the stores keep as text (stream categories and ids, event types): valid
 * Unicode without the NUL character. PostgreSQL {@code text} cannot hold NUL, and a string with an
 * unpaired UTF-16 surrogate has no UTF-8 form, so the driver would store {@code ?} in its place and
 * two different ids would name one stream. Checking here keeps every store alike.
 */
final class StoredText {

    private StoredText() {}

    /**
     * Returns {@code value} if it is storable text.
     *
     * @throws IllegalArgumentException naming {@code what} if it holds NUL or an unpaired surrogate
     */
    static String require(String value, String what) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\0') {
                throw new IllegalArgumentException(what + " must not contain the NUL character (at index " + i + ")");
            }
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException(what + " must be valid Unicode, but has an unpaired surrogate at index " + i);
            }
        }
        return value;
    }
}
