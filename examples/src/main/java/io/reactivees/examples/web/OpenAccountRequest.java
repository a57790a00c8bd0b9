package io.reactivees.examples.web;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;

/**
 * The body of {@code POST /accounts}, checked by Bean Validation ({@code @Valid}): a violation
 * answers 400 with a problem detail naming the field.
 *
 * @param owner who owns the new account; required, not blank, at most {@value #MAX_OWNER_LENGTH}
 *     characters, no control characters or unpaired surrogates
 */
// The messages are literal text: a message with a {parameter} makes Hibernate Validator load a
// resource bundle (file I/O) on the request's event loop the first time each locale asks for it.
public record OpenAccountRequest(
        @NotNull(message = "is required")
        @Pattern(regexp = "(?s).*\\S.*", message = "must not be blank")
        @Size(max = MAX_OWNER_LENGTH, message = "must be at most " + MAX_OWNER_LENGTH + " characters")
        @Pattern(regexp = "[^\\p{Cc}\\p{Cs}]*", message = "must not contain control characters or unpaired surrogates")
        String owner) {

    /** The longest owner name. */
    public static final int MAX_OWNER_LENGTH = 200;
}
