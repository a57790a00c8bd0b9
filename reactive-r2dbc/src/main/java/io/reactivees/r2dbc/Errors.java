package io.reactivees.r2dbc;

import io.r2dbc.postgresql.api.PostgresqlException;
import io.reactivees.core.EventStoreException;
import io.reactivees.core.RerunTransactionException;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import java.util.Optional;

/**
 * Translates driver and database failures into the store's exceptions, in one place. SQLSTATE
 * class 22 (data exception: a value PostgreSQL cannot take) and class 54 (program limit exceeded,
 * such as a stream id or type too long for its index) become an {@link IllegalArgumentException}:
 * retrying cannot help. Everything else that is not already a store exception becomes a
 * {@link StoreUnavailableException} that keeps the original as its cause.
 */
final class Errors {

    static final String UNIQUE_VIOLATION = "23505";

    /** Our own SQLSTATE: an append would have landed behind a newer commit of its stream. */
    static final String WRITTEN_BEHIND = "RE001";

    /** Our own SQLSTATE: an append ran in a transaction whose isolation is not READ COMMITTED. */
    static final String NOT_READ_COMMITTED = "RE002";

    private Errors() {}

    static RuntimeException translate(Throwable error, String doing) {
        if (error instanceof EventStoreException known) {
            return known;
        }
        if (error instanceof IllegalArgumentException bad) {
            return bad;
        }
        String state = sqlState(error).orElse("");
        if (WRITTEN_BEHIND.equals(state)) {
            return new RerunTransactionException("PostgreSQL refused " + doing + ": " + error.getMessage(), error);
        }
        if (NOT_READ_COMMITTED.equals(state)) {
            return new StoreConfigurationException("PostgreSQL refused " + doing + ": " + error.getMessage()
                    + " (appends need READ COMMITTED, PostgreSQL's default: check the transaction or default_transaction_isolation)", error);
        }
        if (state.startsWith("22") || state.startsWith("54")) {
            return new IllegalArgumentException("PostgreSQL rejected a value while " + doing + ": " + error.getMessage(), error);
        }
        return new StoreUnavailableException("PostgreSQL failed while " + doing + ": " + error.getMessage(), error);
    }

    static Optional<String> sqlState(Throwable error) {
        if (error instanceof PostgresqlException pg) {
            return Optional.ofNullable(pg.getErrorDetails().getCode());
        }
        if (error instanceof io.r2dbc.spi.R2dbcException r2dbc) {
            return Optional.ofNullable(r2dbc.getSqlState());
        }
        return Optional.empty();
    }

    /**
     * Tells whether {@code error} means the connection is gone or unusable: SQLSTATE class 08, an
     * administrator's or crash shutdown (57P01..57P03), or a driver failure without a SQLSTATE (a
     * closed channel, an I/O error). A commit that failed this way may or may not have committed.
     */
    static boolean isConnectionFailure(Throwable error) {
        if (error instanceof EventStoreException || error instanceof IllegalArgumentException || error instanceof IllegalStateException) {
            return false;
        }
        String state = sqlState(error).orElse(null);
        return state == null || state.isEmpty() || state.startsWith("08") || state.startsWith("57P0");
    }

    /** Tells whether {@code error} is the store's own "written behind a newer commit" signal. */
    static boolean isWrittenBehind(Throwable error) {
        return sqlState(error).map(WRITTEN_BEHIND::equals).orElse(false);
    }

    /** Tells whether {@code error} is a unique violation of the named constraint. */
    static boolean isUniqueViolation(Throwable error, String constraint) {
        return error instanceof PostgresqlException pg
                && UNIQUE_VIOLATION.equals(pg.getErrorDetails().getCode())
                && pg.getErrorDetails().getConstraintName().map(constraint::equals).orElse(false);
    }
}
