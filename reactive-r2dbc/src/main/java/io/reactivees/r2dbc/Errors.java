package io.reactivees.r2dbc;

import io.r2dbc.postgresql.api.PostgresqlException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcTransientException;
import io.reactivees.core.EventStoreException;
import io.reactivees.core.RerunTransactionException;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Translates driver and database failures into the store's exceptions, in one place, keeping the
 * original as the cause. The SQLSTATE decides first, wherever it sits in the cause chain (a pool
 * wraps the driver's failure); r2dbc-postgresql's own sorting into R2DBC exception kinds is too
 * coarse to go first (it reports every class it does not know, such as 53 or 57, as a
 * non-transient resource failure).
 *
 * <ul>
 *   <li>Retry may help, {@link StoreUnavailableException}: class 08 (connection), 40 (transaction
 *       rollback: serialization failure, deadlock), 53 (insufficient resources), 57 (operator
 *       intervention: shutdown, cancel, statement timeout), 58 (system error), 72 (snapshot too
 *       old), XX (internal error) and {@code 55P03} (lock timeout). Without a SQLSTATE: {@link R2dbcTransientException}, a
 *       {@link R2dbcNonTransientResourceException} (the connection could not be opened or was
 *       closed), I/O and Netty errors, timeouts, and the pool's own failures.
 *   <li>A value PostgreSQL cannot take, {@link IllegalArgumentException}: class 22 (data exception)
 *       and 54 (program limit exceeded, such as a stream id or type too long for its index).
 *   <li>The store cannot work as configured, {@link StoreConfigurationException} with a message that
 *       says what to do: a schema that is not migrated or was migrated by an older version
 *       ({@code 42P01} undefined table, {@code 3F000} invalid schema name, {@code 42703} undefined
 *       column, {@code 42883} undefined function), a missing privilege ({@code 42501}), a refused
 *       login (class 28), and every other SQLSTATE (the rest of class 42, 0A, 25, 2B, 2D, ...), with
 *       the server's message. Without a SQLSTATE: any other {@link R2dbcNonTransientException}
 *       (such as a refused SSL handshake).
 *   <li>The store's own SQLSTATEs: {@value #WRITTEN_BEHIND} (an append in a caller's transaction
 *       would land behind a newer commit) is a {@link RerunTransactionException};
 *       {@value #NOT_READ_COMMITTED} (an append outside READ COMMITTED) a
 *       {@link StoreConfigurationException}.
 * </ul>
 *
 * <p>A failure that is none of these (not a database failure at all) becomes a
 * {@link StoreUnavailableException}: whether an append that failed so was stored is unknown, and
 * that exception is the one that tells the caller to retry with the same event ids to find out.
 */
final class Errors {

    /** Our own SQLSTATE: an append would have landed behind a newer commit of its stream. */
    static final String WRITTEN_BEHIND = "RE001";

    /** Our own SQLSTATE: an append ran in a transaction whose isolation is not READ COMMITTED. */
    static final String NOT_READ_COMMITTED = "RE002";

    /** What r2dbc-postgresql reports as the code of a failure that carries no SQLSTATE. */
    private static final String NO_SQL_STATE = "99999";

    /** SQLSTATE classes whose failures a retry may cure. */
    private static final Set<String> TRANSIENT_CLASSES = Set.of("08", "40", "53", "57", "58", "72", "XX");

    /** SQLSTATEs of a schema that lacks what this library's migration steps create. */
    private static final Set<String> NOT_MIGRATED = Set.of("42P01", "3F000", "42703", "42883");

    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    /** How deep the cause chain is searched for a SQLSTATE or a known kind of failure. */
    private static final int MAX_CAUSES = 16;

    private Errors() {}

    /**
     * Translates {@code error}, a failure of a statement on the schema {@code names}, for the error
     * track. Store exceptions and {@link IllegalArgumentException}s are returned as they are.
     *
     * @param error the failure
     * @param names the schema the statement ran on, named in the message
     * @param doing what the store was doing, such as {@code "loading events"}
     * @return the exception to signal; never null
     */
    static RuntimeException translate(Throwable error, SqlNames names, String doing) {
        if (error instanceof EventStoreException known) {
            return known;
        }
        if (error instanceof IllegalArgumentException bad) {
            return bad;
        }
        String schema = names.schema();
        Throwable carrier = stateCarrier(error);
        if (carrier != null) {
            return bySqlState(error, sqlState(carrier).orElseThrow(), carrier.getMessage(), schema, doing);
        }
        return byKind(error, schema, doing);
    }

    private static RuntimeException bySqlState(Throwable error, String state, String message, String schema, String doing) {
        String code = " [SQLSTATE " + state + "]";
        String stateClass = state.substring(0, 2);
        if (WRITTEN_BEHIND.equals(state)) {
            return new RerunTransactionException("PostgreSQL refused " + doing + " on schema " + schema + ": " + message + code, error);
        }
        if (NOT_READ_COMMITTED.equals(state)) {
            return new StoreConfigurationException("PostgreSQL refused " + doing + " on schema " + schema + ": " + message + code
                    + "; appends need READ COMMITTED (PostgreSQL's default): check the transaction's isolation level and"
                    + " default_transaction_isolation", error);
        }
        if (TRANSIENT_CLASSES.contains(stateClass) || LOCK_NOT_AVAILABLE.equals(state)) {
            return new StoreUnavailableException("PostgreSQL failed while " + doing + " on schema " + schema + ": " + message + code, error);
        }
        if (stateClass.equals("22") || stateClass.equals("54")) {
            return new IllegalArgumentException("PostgreSQL rejected a value while " + doing + ": " + message + code, error);
        }
        if (NOT_MIGRATED.contains(state)) {
            return new StoreConfigurationException("schema " + schema + " is not migrated, or was migrated by an older version"
                    + " of this library (" + missing(state) + "), so " + doing + " failed: " + message + code
                    + "; run PostgresEventStore.migrate() (or PostgresSchemaMigrator) on schema " + schema, error);
        }
        if (INSUFFICIENT_PRIVILEGE.equals(state)) {
            String quoted = '"' + schema + '"';
            return new StoreConfigurationException("the database role lacks a privilege on schema " + schema + ", so " + doing
                    + " failed: " + message + code + "; grant the store's role what it needs (GRANT USAGE ON SCHEMA " + quoted
                    + " TO <role>; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA " + quoted
                    + " TO <role>; GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA " + quoted + " TO <role>), or connect as the"
                    + " schema's owner; migrating the schema needs its owner, or a role allowed to create it", error);
        }
        if (stateClass.equals("28")) {
            return new StoreConfigurationException("PostgreSQL refused the store's login while " + doing + ": " + message + code
                    + "; check the user and password the connection factory uses, and the server's pg_hba.conf", error);
        }
        return new StoreConfigurationException("PostgreSQL rejected a statement of the store on schema " + schema + " while "
                + doing + ": " + message + code + "; retrying will not help: check the database, the schema and the role the"
                + " store uses", error);
    }

    private static String missing(String state) {
        return switch (state) {
            case "3F000" -> "the schema does not exist";
            case "42P01" -> "a table is missing";
            case "42703" -> "a column added by a later migration step is missing";
            default -> "a function added by a later migration step is missing";
        };
    }

    /** A failure without SQLSTATE, sorted by the R2DBC exception kinds and the Java types in its cause chain. */
    private static RuntimeException byKind(Throwable error, String schema, String doing) {
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (cause instanceof R2dbcTransientException || cause instanceof R2dbcNonTransientResourceException
                    || isIoOrTimeout(cause)) {
                break;
            }
            if (cause instanceof R2dbcNonTransientException) {
                return new StoreConfigurationException("the PostgreSQL driver rejected the store's work on schema " + schema
                        + " while " + doing + ": " + cause.getMessage() + "; retrying will not help: check the connection"
                        + " factory's settings, the database and the role the store uses", error);
            }
        }
        return new StoreUnavailableException("PostgreSQL failed while " + doing + " on schema " + schema + ": " + error.getMessage(), error);
    }

    private static boolean isIoOrTimeout(Throwable error) {
        if (error instanceof IOException || error instanceof UncheckedIOException || error instanceof TimeoutException) {
            return true;
        }
        for (Class<?> type = error.getClass(); type != null; type = type.getSuperclass()) {
            // Netty's channel and codec errors, and reactor-pool's (shut down, too many waiting)
            if (type.getName().startsWith("io.netty.") || type.getName().startsWith("reactor.pool.")) {
                return true;
            }
        }
        return false;
    }

    /** The first failure in {@code error}'s cause chain that carries a SQLSTATE, or null. */
    private static Throwable stateCarrier(Throwable error) {
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (sqlState(cause).isPresent()) {
                return cause;
            }
        }
        return null;
    }

    /** The SQLSTATE {@code error} itself carries, if any. */
    static Optional<String> sqlState(Throwable error) {
        String state = null;
        if (error instanceof PostgresqlException pg) {
            state = pg.getErrorDetails().getCode();
        } else if (error instanceof R2dbcException r2dbc) {
            state = r2dbc.getSqlState();
        }
        return state == null || state.length() != 5 || NO_SQL_STATE.equals(state) ? Optional.empty() : Optional.of(state);
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

    /**
     * Tells whether {@code error} comes from the database or the way to it: a SQLSTATE, an R2DBC
     * exception, an I/O, Netty or pool failure, or a timeout, anywhere in its cause chain. Work that
     * mixes the store's statements with a caller's code (a transactional projection's handler)
     * translates these and leaves the caller's own errors as they are.
     */
    static boolean isDatabaseFailure(Throwable error) {
        Throwable cause = error;
        for (int depth = 0; cause != null && depth < MAX_CAUSES; depth++, cause = cause.getCause()) {
            if (cause instanceof R2dbcException || sqlState(cause).isPresent() || isIoOrTimeout(cause)) {
                return true;
            }
        }
        return false;
    }

    /** Tells whether {@code error} is the store's own "written behind a newer commit" signal. */
    static boolean isWrittenBehind(Throwable error) {
        return sqlState(error).map(WRITTEN_BEHIND::equals).orElse(false);
    }

    /** Tells whether {@code error} is a unique violation (SQLSTATE 23505). */
    static boolean isUniqueViolation(Throwable error) {
        return sqlState(error).map("23505"::equals).orElse(false);
    }
}
