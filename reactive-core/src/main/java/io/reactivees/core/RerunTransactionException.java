package io.reactivees.core;

import org.jspecify.annotations.Nullable;

/**
 * An append made inside the caller's own transaction could not keep the global order: the
 * transaction took its id (at its first write) before a newer commit wrote to the same stream, so
 * its events would land behind that commit's. Nothing was appended; roll the transaction back and
 * run it again from its start (its new id comes after that commit). Only appends through the
 * caller's transaction can fail this way; the store's own appends take every lock before their
 * first write.
 */
public final class RerunTransactionException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what was appended
     * @param cause the database's failure, or null
     */
    public RerunTransactionException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
