package io.reactivees.r2dbc;

import io.r2dbc.spi.ConnectionFactory;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.UUID;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The PostgreSQL the tests run against, found in this order: the R2DBC URL in
 * {@code REACTIVEES_TEST_R2DBC_URL}; else a Testcontainers PostgreSQL when Docker is available; else
 * a server on {@code localhost:5432} (user {@code postgres}, database {@code postgres}); else the
 * tests fail with a message naming all three. Never skipped.
 *
 * <p>Every store a test makes lives in a schema of its own, so test classes never see each other.
 */
public final class PostgresTestDatabase {

    public static final String URL_VARIABLE = "REACTIVEES_TEST_R2DBC_URL";
    private static final String LOCAL_URL = "r2dbc:postgresql://postgres@localhost:5432/postgres";

    private static String url;
    private static String source;
    private static ConnectionFactory connectionFactory;

    private PostgresTestDatabase() {}

    /** The R2DBC URL of the test database. */
    public static synchronized String url() {
        if (url == null) {
            resolve();
        }
        return url;
    }

    /** Where the URL came from, for test output. */
    public static synchronized String source() {
        url();
        return source;
    }

    /** A plain (unpooled) connection factory on the test database, shared by all tests. */
    public static synchronized ConnectionFactory connectionFactory() {
        if (connectionFactory == null) {
            connectionFactory = PostgresEventStore.connectionFactory(url());
        }
        return connectionFactory;
    }

    /** A schema name no other test uses. */
    public static String newSchema() {
        return "t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 20);
    }

    /** Drops a test's schema and everything in it. */
    public static void dropSchema(String schema) {
        execute("DROP SCHEMA IF EXISTS \"" + new SqlNames(schema).schema() + "\" CASCADE");
    }

    /** Runs one SQL statement on a connection of its own and waits for it. */
    public static void execute(String sql) {
        Mono.usingWhen(Mono.from(connectionFactory().create()),
                        c -> Flux.from(c.createStatement(sql).execute()).concatMap(r -> r.getRowsUpdated()).then(),
                        c -> c.close())
                .block(Duration.ofSeconds(60));
    }

    private static void resolve() {
        String fromEnvironment = System.getenv(URL_VARIABLE);
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            url = fromEnvironment;
            source = URL_VARIABLE;
            return;
        }
        boolean docker = dockerAvailable();
        if (docker) {
            @SuppressWarnings("resource") // stopped by Testcontainers' reaper when the JVM ends
            PostgreSQLContainer container = new PostgreSQLContainer("postgres:15-alpine");
            container.start();
            url = "r2dbc:postgresql://" + container.getUsername() + ":" + container.getPassword() + "@"
                    + container.getHost() + ":" + container.getMappedPort(5432) + "/" + container.getDatabaseName();
            source = "Testcontainers";
            return;
        }
        if (localServerListening()) {
            url = LOCAL_URL;
            source = "local server on localhost:5432";
            return;
        }
        throw new IllegalStateException("No PostgreSQL for the tests. Tried, in order: (1) the R2DBC URL in "
                + URL_VARIABLE + " (not set); (2) Testcontainers (no Docker engine available); (3) a server on "
                + "localhost:5432 (nothing listening). Set " + URL_VARIABLE
                + ", start Docker, or start a local PostgreSQL.");
    }

    private static boolean dockerAvailable() {
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    private static boolean localServerListening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("localhost", 5432), 2000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
