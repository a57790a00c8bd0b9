package io.reactivees.examples.idempotency;

import java.util.Arrays;
import java.util.Objects;

/**
 * The answer a request with an idempotency key got, kept to answer its repetitions.
 *
 * @param status the HTTP status
 * @param contentType the {@code Content-Type}, or null
 * @param location the {@code Location}, or null
 * @param body the body's bytes; copied in and out
 */
public record StoredAnswer(int status, String contentType, String location, byte[] body) {

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if {@code body} is null
     * @throws IllegalArgumentException if {@code status} is not an HTTP status
     */
    public StoredAnswer {
        if (status < 100 || status > 599) {
            throw new IllegalArgumentException("status must be an HTTP status: " + status);
        }
        body = Objects.requireNonNull(body, "body must not be null").clone();
    }

    /** @return a copy of the body */
    @Override
    public byte[] body() {
        return body.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof StoredAnswer other && status == other.status && Objects.equals(contentType, other.contentType)
                && Objects.equals(location, other.location) && Arrays.equals(body, other.body);
    }

    @Override
    public int hashCode() {
        return Objects.hash(status, contentType, location, Arrays.hashCode(body));
    }

    @Override
    public String toString() {
        return "StoredAnswer[status=" + status + ", contentType=" + contentType + ", location=" + location + ", body=" + body.length + " bytes]";
    }
}
