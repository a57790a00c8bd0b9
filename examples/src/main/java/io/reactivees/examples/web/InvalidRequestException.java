package io.reactivees.examples.web;

/** A request that is malformed: a missing or invalid field, path variable or header. Answered with 400. */
public final class InvalidRequestException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** @param detail what is wrong, for the problem detail */
    public InvalidRequestException(String detail) {
        super(detail);
    }
}
