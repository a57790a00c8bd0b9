package io.reactivees.examples.web;

import java.util.UUID;

/** Checks of request input; each throws {@link InvalidRequestException} naming the field. */
final class Requests {

    static final int MAX_OWNER_LENGTH = 200;

    private Requests() {}

    /** A non-blank owner name of at most {@value #MAX_OWNER_LENGTH} characters, no control characters. */
    static String owner(String owner) {
        if (owner == null) {
            throw new InvalidRequestException("owner is required");
        }
        if (owner.isBlank()) {
            throw new InvalidRequestException("owner must not be blank");
        }
        if (owner.length() > MAX_OWNER_LENGTH) {
            throw new InvalidRequestException("owner must be at most " + MAX_OWNER_LENGTH + " characters");
        }
        // code points: a lone surrogate comes out as itself, a valid pair as one supplementary character
        if (owner.codePoints().anyMatch(c -> Character.isISOControl(c) || Character.getType(c) == Character.SURROGATE)) {
            throw new InvalidRequestException("owner must not contain control characters or unpaired surrogates");
        }
        return owner;
    }

    /** A positive amount. */
    static long amount(Long amount) {
        if (amount == null) {
            throw new InvalidRequestException("amount is required");
        }
        if (amount <= 0) {
            throw new InvalidRequestException("amount must be positive: " + amount);
        }
        return amount;
    }

    /** An account id: a UUID in its canonical form (either case). */
    static UUID accountId(String field, String value) {
        if (value == null) {
            throw new InvalidRequestException(field + " is required");
        }
        try {
            UUID id = UUID.fromString(value);
            if (id.toString().equalsIgnoreCase(value)) {
                return id;
            }
        } catch (IllegalArgumentException e) {
            // not a UUID
        }
        throw new InvalidRequestException(field + " must be an account id (a UUID such as 3f2b8c1e-8d4a-4c6e-9a57-0c1d2e3f4a5b): "
                + abbreviate(value));
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }
}
