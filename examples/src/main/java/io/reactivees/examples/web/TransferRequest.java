package io.reactivees.examples.web;

/**
 * The body of {@code POST /transfers}.
 *
 * @param from the sending account's id; required
 * @param to the receiving account's id; required, another account
 * @param amount how much, in whole units; required, positive
 */
public record TransferRequest(String from, String to, Long amount) {}
