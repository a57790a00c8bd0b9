package io.reactivees.core.internal;

import java.time.Duration;
import java.util.Objects;

/** The check of a configured duration, shared by the builders of the modules. No compatibility promise. */
public final class Durations {

    private Durations() {}

    /**
     * @param value a configured duration
     * @param name its name, for the message
     * @return {@code value}
     * @throws NullPointerException if {@code value} is null
     * @throws IllegalArgumentException if {@code value} is zero or negative
     */
    public static Duration requirePositive(Duration value, String name) {
        Objects.requireNonNull(value, name + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive: " + value);
        }
        return value;
    }
}
