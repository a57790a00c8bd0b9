package io.reactivees.examples.web;

import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;

/**
 * The body of a deposit or a withdrawal, checked by Bean Validation ({@code @Valid}): a violation
 * answers 400 with a problem detail naming the field.
 *
 * @param amount how much, in whole units; required, positive
 */
public record AmountRequest(@NotNull(message = "is required") @Positive(message = "must be positive") Long amount) {}
