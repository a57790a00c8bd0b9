package io.reactivees.core;

import org.jspecify.annotations.Nullable;

/**
 * The failures a store reports on the error track. The hierarchy is sealed, so a {@code switch}
 * over it is exhaustive.
 */
public abstract sealed class EventStoreException extends RuntimeException
        permits AppendConditionFailedException, ConcurrencyConflictException, DuplicateEventException, EventDecodingException,
                RerunTransactionException, StoreConfigurationException, StoreUnavailableException {

    private static final long serialVersionUID = 1L;

    EventStoreException(String message, @Nullable Throwable cause) {
        super(message, cause);
    }
}
