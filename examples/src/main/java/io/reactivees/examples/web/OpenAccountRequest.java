package io.reactivees.examples.web;

/**
 * The body of {@code POST /accounts}.
 *
 * @param owner who owns the new account; required, non-blank
 */
public record OpenAccountRequest(String owner) {}
