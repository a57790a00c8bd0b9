package io.reactivees.core;

import org.jspecify.annotations.Nullable;

/**
 * The store cannot work as it is configured: its schema is not migrated (or is newer than this
 * library), the database user lacks a privilege, or a statement is rejected as a programming
 * error. Retrying does not help; the message says what to do. Nothing of a failed append was
 * stored.
 */
public final class StoreConfigurationException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message what failed and what to do about it
     * @param cause the driver's or database's failure, or null
     */
    public StoreConfigurationException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
