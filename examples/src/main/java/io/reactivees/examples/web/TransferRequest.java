package io.reactivees.examples.web;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Positive;

/**
 * The body of {@code POST /transfers}, checked by Bean Validation ({@code @Valid}): a violation
 * answers 400 with a problem detail naming the field.
 *
 * @param from the sending account's id (a UUID in its canonical form); required
 * @param to the receiving account's id; required, another account
 * @param amount how much, in whole units; required, positive
 */
public record TransferRequest(
        @NotNull(message = "is required") @Pattern(regexp = ACCOUNT_ID, message = ACCOUNT_ID_MESSAGE) String from,
        @NotNull(message = "is required") @Pattern(regexp = ACCOUNT_ID, message = ACCOUNT_ID_MESSAGE) String to,
        @NotNull(message = "is required") @Positive(message = "must be positive") Long amount) {

    /** An account id: a UUID in its canonical form, either case. */
    static final String ACCOUNT_ID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";

    static final String ACCOUNT_ID_MESSAGE = "must be an account id (a UUID such as 3f2b8c1e-8d4a-4c6e-9a57-0c1d2e3f4a5b)";
}
