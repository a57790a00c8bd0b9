package io.reactivees.r2dbc;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP proxy between a store and PostgreSQL that can stop passing the server's answers on: after
 * {@link #swallowAnswers()}, what the server sends on the connections open at that moment is
 * dropped, so a commit can land while its acknowledgement never reaches the client. When the server
 * ends such a connection (its backend terminated), the proxy closes the client's side too, and the
 * client sees its connection lost with the answer outstanding. Connections opened later pass
 * everything.
 *
 * <p>It runs on threads of its own (plain blocking sockets, never a reactive thread).
 */
final class AnswerSwallowingProxy implements AutoCloseable {

    private static final AtomicInteger THREADS = new AtomicInteger();

    private final ServerSocket listener;
    private final String host;
    private final int port;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger abandoned = new AtomicInteger();
    private final Set<Socket> stranded = ConcurrentHashMap.newKeySet();
    private volatile boolean partitioned;

    AnswerSwallowingProxy(String host, int port) throws IOException {
        this.host = host;
        this.port = port;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        start("accept", this::acceptLoop);
    }

    /** A proxy in front of the test database. */
    static AnswerSwallowingProxy forTestDatabase() throws IOException {
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(PostgresTestDatabase.url());
        Object port = options.getValue(ConnectionFactoryOptions.PORT);
        return new AnswerSwallowingProxy((String) options.getRequiredValue(ConnectionFactoryOptions.HOST),
                port == null ? 5432 : Integer.parseInt(port.toString()));
    }

    /** A connection factory on the test database through this proxy, its sessions named {@code applicationName}. */
    ConnectionFactory connectionFactory(String applicationName) {
        return ConnectionFactories.get(ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1")
                .option(ConnectionFactoryOptions.PORT, listener.getLocalPort())
                .option(Option.valueOf("applicationName"), applicationName)
                .build());
    }

    /** From now on, drops what the server sends on every connection open now. Non-blocking. */
    void swallowAnswers() {
        links.forEach(link -> link.swallowing = true);
    }

    /**
     * From now on, passes nothing either way on every connection open now, and keeps their server
     * side open when the client closes its side: like a network partition or a frozen host, the
     * server keeps the sessions (their locks, their open transactions) until it ends them itself
     * (a TCP keepalive, {@code idle_in_transaction_session_timeout}) or the test terminates them.
     * Connections opened later reach nothing: the proxy accepts them and never answers, as a host cut
     * off from the server. Non-blocking.
     */
    void freeze() {
        partitioned = true;
        links.forEach(link -> {
            link.frozen = true;
            link.swallowing = true;
        });
    }

    /** How many frozen connections their client has closed, while the server keeps them. */
    int abandoned() {
        return abandoned.get();
    }

    /** The local port the proxy listens on. */
    int port() {
        return listener.getLocalPort();
    }

    /** How many connections are swallowing answers. */
    long swallowing() {
        return links.stream().filter(link -> link.swallowing).count();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                if (partitioned) {
                    stranded.add(client); // accepted, never answered
                    continue;
                }
                Socket server = new Socket(host, port);
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                Link link = new Link(client, server);
                links.add(link);
                start("up", () -> link.pump(client, server, false));
                start("down", () -> link.pump(server, client, true));
            } catch (IOException e) {
                // closed, or the server refused: the client sees its connection fail
            }
        }
    }

    private static void start(String name, Runnable work) {
        Thread thread = new Thread(work, "answer-swallowing-proxy-" + name + "-" + THREADS.incrementAndGet());
        thread.setDaemon(true);
        thread.start();
    }

    @Override
    public void close() throws IOException {
        listener.close();
        links.forEach(Link::close);
        for (Socket socket : stranded) {
            socket.close();
        }
    }

    private final class Link {
        final Socket client;
        final Socket server;
        volatile boolean swallowing;
        volatile boolean frozen;

        Link(Socket client, Socket server) {
            this.client = client;
            this.server = server;
        }

        void pump(Socket from, Socket to, boolean answers) {
            byte[] buffer = new byte[16384];
            // Not try-with-resources: closing a socket's stream closes the socket, and a frozen link keeps its server side.
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (!(answers && swallowing) && !frozen) {
                        out.write(buffer, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // one side went away: end both
            } finally {
                if (frozen && !answers) {
                    closeQuietly(client); // the client gave up; the server never hears of it
                    abandoned.incrementAndGet();
                } else {
                    close();
                }
            }
        }

        private void closeQuietly(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }

        void close() {
            links.remove(this);
            try {
                client.close();
            } catch (IOException e) {
                // closing anyway
            }
            try {
                server.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
