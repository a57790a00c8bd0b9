package io.reactivees.r2dbc;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real PgBouncer in transaction pooling mode in front of the test database, started by a test on
 * a free local port with a configuration of its own in a temporary directory (trust auth, the
 * database's user in its user list), and stopped when closed. Debian's {@code pgbouncer} package
 * provides it ({@code apt-get install -y pgbouncer}; {@code .ci/run} installs it); {@link #binary()}
 * is empty where it is not installed.
 *
 * <p>Clients connect with {@code preparedStatementCacheQueries=0}: PgBouncer before 1.21 (Debian 12
 * ships 1.18) cannot run named prepared statements in transaction mode, and r2dbc-postgresql names
 * and caches them by default.
 */
final class PgBouncer implements AutoCloseable {

    private final Process process;
    private final Path directory;
    private final int port;

    private PgBouncer(Process process, Path directory, int port) {
        this.process = process;
        this.directory = directory;
        this.port = port;
    }

    /** The pgbouncer executable, where installed. */
    static Optional<Path> binary() {
        return Stream.concat(Stream.of("/usr/sbin", "/usr/bin", "/usr/local/bin"),
                        Stream.of(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)))
                .map(dir -> Path.of(dir, "pgbouncer"))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** Starts a PgBouncer in transaction mode in front of the test database and waits until it listens. */
    static PgBouncer start(Path binary) {
        ConnectionFactoryOptions target = ConnectionFactoryOptions.parse(PostgresTestDatabase.url());
        String host = (String) target.getRequiredValue(ConnectionFactoryOptions.HOST);
        Object targetPort = target.getValue(ConnectionFactoryOptions.PORT);
        String user = (String) target.getRequiredValue(ConnectionFactoryOptions.USER);
        try {
            Path directory = Files.createTempDirectory("pgbouncer-", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxrwxrwx")));
            Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString("rwxrwxrwx")); // past the umask
            int port = freePort();
            Files.writeString(directory.resolve("userlist.txt"), "\"" + user + "\" \"\"\n");
            boolean root = "root".equals(System.getProperty("user.name"));
            Files.writeString(directory.resolve("pgbouncer.ini"), String.join("\n",
                    "[databases]",
                    "* = host=" + ("localhost".equals(host) ? "127.0.0.1" : host) + " port=" + (targetPort == null ? 5432 : targetPort),
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    "listen_port = " + port,
                    "unix_socket_dir =",
                    "auth_type = trust",
                    "auth_file = " + directory.resolve("userlist.txt"),
                    "pool_mode = transaction",
                    "max_client_conn = 200",
                    "default_pool_size = 20",
                    "ignore_startup_parameters = extra_float_digits,options",
                    "logfile = " + directory.resolve("pgbouncer.log"),
                    "pidfile = " + directory.resolve("pgbouncer.pid"),
                    root ? "user = postgres" : "", // pgbouncer refuses to run as root
                    ""));
            for (File file : directory.toFile().listFiles()) {
                Files.setPosixFilePermissions(file.toPath(), PosixFilePermissions.fromString("rw-rw-rw-"));
            }
            Process process = new ProcessBuilder(binary.toString(), directory.resolve("pgbouncer.ini").toString())
                    .redirectErrorStream(true)
                    .redirectOutput(directory.resolve("stdout.log").toFile())
                    .start();
            PgBouncer bouncer = new PgBouncer(process, directory, port);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!bouncer.listening()) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    String log = Files.readString(directory.resolve("stdout.log"));
                    bouncer.close();
                    throw new IllegalStateException("pgbouncer did not start on port " + port + ": " + log);
                }
                Thread.onSpinWait();
            }
            return bouncer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private boolean listening() {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress("127.0.0.1", port), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** A factory of connections through this PgBouncer, without prepared statement names, named {@code applicationName}. */
    ConnectionFactory connectionFactory(String applicationName) {
        return ConnectionFactories.get(ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1")
                .option(ConnectionFactoryOptions.PORT, port)
                .option(PostgresqlConnectionFactoryProvider.PREPARED_STATEMENT_CACHE_QUERIES, 0)
                .option(PostgresqlConnectionFactoryProvider.APPLICATION_NAME, applicationName)
                .option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, true)
                .build());
    }

    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try (Stream<Path> files = Files.list(directory)) {
            files.forEach(file -> file.toFile().delete());
            Files.deleteIfExists(directory);
        } catch (IOException e) {
            // a temporary directory left behind
        }
    }
}
