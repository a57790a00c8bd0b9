package io.reactivees.r2dbc;

import io.r2dbc.postgresql.api.PostgresqlException;
import io.reactivees.core.EventStoreException;
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

    private Errors() {}

    static RuntimeException translate(Throwable error, String doing) {
        if (error instanceof EventStoreException known) {
            return known;
        }
        if (error instanceof IllegalArgumentException bad) {
            return bad;
        }
        String state = sqlState(error).orElse("");
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
