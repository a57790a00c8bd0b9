package io.reactivees.core;

import org.jspecify.annotations.Nullable;

/**
 * The store could not be reached or failed (connection lost, database error). Whether an append
 * that failed this way was stored is unknown: retry it with the same event ids, which is
 * idempotent.
 */
public final class StoreUnavailableException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what the store was doing
     * @param cause the driver's or database's failure
     */
    public StoreUnavailableException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
