package io.reactivees.examples.web;

import java.util.UUID;

/**
 * Checks of path variables; each throws {@link InvalidRequestException} naming the variable.
 * Request bodies are checked by Bean Validation instead (the constraints on the request records).
 */
final class Requests {

    private Requests() {}

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
        throw new InvalidRequestException(field + " " + TransferRequest.ACCOUNT_ID_MESSAGE + ": " + abbreviate(value));
    }

    private static String abbreviate(String value) {
        return value.length() <= 64 ? value : value.substring(0, 64) + "...";
    }
}
