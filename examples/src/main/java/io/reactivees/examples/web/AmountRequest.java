package io.reactivees.examples.web;

/**
 * The body of a deposit or a withdrawal.
 *
 * @param amount how much, in whole units; required, positive
 */
public record AmountRequest(Long amount) {}
