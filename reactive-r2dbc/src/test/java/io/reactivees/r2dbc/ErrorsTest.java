package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.pool.ConnectionPoolException;
import io.r2dbc.spi.R2dbcBadGrammarException;
import io.r2dbc.spi.R2dbcDataIntegrityViolationException;
import io.r2dbc.spi.R2dbcException;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.R2dbcPermissionDeniedException;
import io.r2dbc.spi.R2dbcRollbackException;
import io.r2dbc.spi.R2dbcTimeoutException;
import io.r2dbc.spi.R2dbcTransientResourceException;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.ClosedChannelException;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Exceptions;

/**
 * {@link Errors#translate} over synthetic failures of every kind: the SQLSTATE class decides first
 * (wherever it sits in the cause chain), then the R2DBC exception kind and the Java type; the
 * original is always kept as the cause.
 */
class ErrorsTest {

    private static final SqlNames SCHEMA = new SqlNames("orders");

    private static RuntimeException translate(Throwable error) {
        return Errors.translate(error, SCHEMA, "loading events");
    }

    /** A failure as r2dbc-postgresql reports a server error: message and SQLSTATE. */
    private static Arguments state(String state, R2dbcException error) {
        return Arguments.of(state + " " + error.getClass().getSimpleName(), error);
    }

    static Stream<Arguments> retryable() {
        return Stream.of(
                state("08006", new R2dbcNonTransientResourceException("Connection closed", "08006")),
                state("08001", new R2dbcNonTransientResourceException("connection refused", "08001")),
                state("08P01", new R2dbcNonTransientResourceException("protocol violation", "08P01")),
                state("40001", new R2dbcRollbackException("could not serialize access", "40001")),
                state("40P01", new R2dbcTransientResourceException("deadlock detected", "40P01")),
                // the driver reports the classes it does not know as non-transient resource failures
                state("53300", new R2dbcNonTransientResourceException("sorry, too many clients already", "53300")),
                state("53100", new R2dbcNonTransientResourceException("could not extend file: No space left on device", "53100")),
                state("57P01", new R2dbcNonTransientResourceException("terminating connection due to administrator command", "57P01")),
                state("57P03", new R2dbcNonTransientResourceException("the database system is starting up", "57P03")),
                state("57014", new R2dbcNonTransientResourceException("canceling statement due to statement timeout", "57014")),
                state("58030", new R2dbcNonTransientResourceException("could not read block", "58030")),
                state("XX000", new R2dbcNonTransientResourceException("internal error", "XX000")),
                state("55P03", new R2dbcNonTransientResourceException("canceling statement due to lock timeout", "55P03")),
                Arguments.of("no SQLSTATE: transient resource", new R2dbcTransientResourceException("request queue full")),
                Arguments.of("no SQLSTATE: connection closed", new R2dbcNonTransientResourceException("Connection closed")),
                Arguments.of("the driver's 'no SQLSTATE' code", new R2dbcNonTransientResourceException("Response queue full", "99999")),
                Arguments.of("no SQLSTATE: R2DBC timeout", new R2dbcTimeoutException("Connection acquisition timed out after 30000ms")),
                Arguments.of("I/O error", new IOException("Connection reset by peer")),
                Arguments.of("closed channel", new ClosedChannelException()),
                Arguments.of("unchecked I/O", new UncheckedIOException(new IOException("broken pipe"))),
                Arguments.of("timeout", new TimeoutException("Did not observe any item or terminal signal within 5000ms")),
                Arguments.of("Netty channel error", new io.netty.channel.ChannelException("unable to create channel")),
                Arguments.of("pool shut down", new reactor.pool.PoolShutdownException()),
                Arguments.of("pool wrapping a refused connection",
                        new ConnectionPoolException("Obtaining new connection from the pool",
                                new R2dbcNonTransientResourceException("Connection refused", "08001"))),
                Arguments.of("retries exhausted over an I/O error", Exceptions.retryExhausted("Retries exhausted: 3/3", new IOException("reset"))),
                Arguments.of("not a database failure at all", new IllegalStateException("something else")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("retryable")
    void failuresARetryMayCureAreStoreUnavailable(String name, Throwable error) {
        RuntimeException translated = translate(error);
        assertInstanceOf(StoreUnavailableException.class, translated, name);
        assertSame(error, translated.getCause());
        assertTrue(translated.getMessage().contains("loading events"), translated.getMessage());
    }

    @Test
    void theStoresOwnStatesAreARerunAndAConfigurationError() {
        RuntimeException behind = translate(new R2dbcNonTransientResourceException("a newer transaction wrote first", Errors.WRITTEN_BEHIND));
        assertInstanceOf(io.reactivees.core.RerunTransactionException.class, behind);
        RuntimeException isolation = translate(new R2dbcNonTransientResourceException("appends need READ COMMITTED", Errors.NOT_READ_COMMITTED));
        assertInstanceOf(StoreConfigurationException.class, isolation);
        assertTrue(isolation.getMessage().contains("READ COMMITTED"), isolation.getMessage());
    }

    static Stream<Arguments> badValues() {
        return Stream.of(
                state("22P02", new R2dbcDataIntegrityViolationException("invalid input syntax for type json", "22P02")),
                state("22001", new R2dbcDataIntegrityViolationException("value too long", "22001")),
                state("54000", new R2dbcNonTransientResourceException("index row size exceeds maximum", "54000")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badValues")
    void valuesPostgresCannotTakeAreIllegalArguments(String name, Throwable error) {
        RuntimeException translated = translate(error);
        assertEquals(IllegalArgumentException.class, translated.getClass(), name);
        assertSame(error, translated.getCause());
        assertTrue(translated.getMessage().contains(error.getMessage()), translated.getMessage());
    }

    static Stream<Arguments> notMigrated() {
        return Stream.of(
                state("42P01", new R2dbcBadGrammarException("relation \"orders.events\" does not exist", "42P01")),
                state("3F000", new R2dbcBadGrammarException("schema \"orders\" does not exist", "3F000")),
                state("42703", new R2dbcBadGrammarException("column \"last_tx\" does not exist", "42703")),
                state("42883", new R2dbcBadGrammarException("function orders.reject_written_behind() does not exist", "42883")),
                Arguments.of("42P01 under a wrapper", new RuntimeException("wrapped",
                        new R2dbcBadGrammarException("relation \"orders.streams\" does not exist", "42P01"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notMigrated")
    void aSchemaThatLacksTheLibrarysObjectsSaysToMigrateIt(String name, Throwable error) {
        RuntimeException translated = translate(error);
        assertInstanceOf(StoreConfigurationException.class, translated, name);
        assertSame(error, translated.getCause());
        String message = translated.getMessage();
        assertTrue(message.contains("run PostgresEventStore.migrate() (or PostgresSchemaMigrator) on schema orders"), message);
        assertTrue(message.contains("loading events"), message);
        assertTrue(message.contains("does not exist"), "the server's message: " + message);
    }

    @Test
    void aMissingPrivilegeSaysWhatToGrant() {
        R2dbcPermissionDeniedException error = new R2dbcPermissionDeniedException("permission denied for schema orders", "42501");
        RuntimeException translated = translate(error);
        assertInstanceOf(StoreConfigurationException.class, translated);
        assertSame(error, translated.getCause());
        String message = translated.getMessage();
        assertTrue(message.contains("lacks a privilege on schema orders"), message);
        assertTrue(message.contains("permission denied for schema orders"), message);
        assertTrue(message.contains("GRANT USAGE ON SCHEMA \"orders\""), message);
        assertTrue(message.contains("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"orders\""), message);
    }

    static Stream<Arguments> notRetryable() {
        return Stream.of(
                state("42601", new R2dbcBadGrammarException("syntax error at or near \"SELEC\"", "42601")),
                state("42704", new R2dbcBadGrammarException("type \"xid8\" does not exist", "42704")),
                state("0A000", new R2dbcBadGrammarException("feature not supported", "0A000")),
                state("2BP01", new R2dbcNonTransientResourceException("cannot drop role because some objects depend on it", "2BP01")),
                state("2D000", new R2dbcNonTransientResourceException("invalid transaction termination", "2D000")),
                // a read-only server (a standby): the driver calls it a resource failure, the class says otherwise
                state("25006", new R2dbcNonTransientResourceException("cannot execute INSERT in a read-only transaction", "25006")),
                state("28P01", new R2dbcPermissionDeniedException("password authentication failed for user \"app\"", "28P01")),
                state("3D000", new R2dbcNonTransientResourceException("database \"nothing\" does not exist", "3D000")),
                state("23514", new R2dbcDataIntegrityViolationException("new row violates check constraint", "23514")),
                Arguments.of("no SQLSTATE: bad grammar", new R2dbcBadGrammarException("bad statement")),
                Arguments.of("the driver's 'no SQLSTATE' code: refused SSL", new R2dbcPermissionDeniedException("Server does not support SSL", "99999")),
                Arguments.of("a pool wrapping a refused login", new ConnectionPoolException("Obtaining new connection from the pool",
                        new R2dbcPermissionDeniedException("password authentication failed", "28P01"))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("notRetryable")
    void errorsNoRetryCuresAreStoreConfigurationWithTheServersMessage(String name, Throwable error) {
        RuntimeException translated = translate(error);
        assertInstanceOf(StoreConfigurationException.class, translated, name);
        assertSame(error, translated.getCause());
        Throwable reported = error.getCause() != null ? error.getCause() : error;
        assertTrue(translated.getMessage().contains(reported.getMessage()), translated.getMessage());
    }

    @Test
    void storeExceptionsAndIllegalArgumentsPassUnchanged() {
        ConcurrencyConflictException conflict = new ConcurrencyConflictException(StreamId.of("order", "1"), ExpectedVersion.exact(1), 2);
        assertSame(conflict, translate(conflict));
        StoreConfigurationException configuration = new StoreConfigurationException("upgrade the library", null);
        assertSame(configuration, translate(configuration));
        IllegalArgumentException bad = new IllegalArgumentException("bad");
        assertSame(bad, translate(bad));
    }

    @Test
    void theDriversPlaceholderCodeIsNoSqlState() {
        assertTrue(Errors.sqlState(new R2dbcTransientResourceException("queue full", "99999")).isEmpty());
        assertTrue(Errors.sqlState(new R2dbcTransientResourceException("queue full")).isEmpty());
        assertEquals("40001", Errors.sqlState(new R2dbcRollbackException("x", "40001")).orElseThrow());
        assertTrue(Errors.isWrittenBehind(new R2dbcNonTransientResourceException("behind", Errors.WRITTEN_BEHIND)));
    }
}
