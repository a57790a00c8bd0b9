package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;

/**
 * One pool connection that a paged read keeps from one statement to the next while its consumer
 * still wants more, so that a read drained at full speed takes one connection for all its pages
 * instead of one per page. Made by {@link Database#heldConnection}, one per read.
 *
 * <p>Between statements the connection is idle in autocommit mode: no transaction, no snapshot, so
 * nothing holds back vacuum. It is given back to the pool as soon as the read's demand is met
 * ({@link #release()}), when a statement fails or is cancelled, and when the read ends
 * ({@link #close()}); a consumer that asks for nothing holds no connection. Each give-back takes
 * the connection out of the holder atomically, so every connection is closed exactly once however
 * the statements, the consumer's requests and a cancel interleave.
 */
final class HeldConnection {

    private final ConnectionFactory connections;
    private final BooleanSupplier wanted;
    private final AtomicReference<Connection> parked = new AtomicReference<>();
    private volatile boolean closed;

    /**
     * @param connections the pool
     * @param wanted whether the read still has demand to serve; a connection is kept only while true
     */
    HeldConnection(ConnectionFactory connections, BooleanSupplier wanted) {
        this.connections = connections;
        this.wanted = wanted;
    }

    /**
     * Runs {@code work} on the kept connection, or on one taken from the pool. When the work emits a
     * value for which {@code more} is true and the read is still wanted, the connection is kept for
     * the next call; otherwise, and on error or cancel, it goes back to the pool.
     */
    <T> Mono<T> use(Function<Connection, Mono<T>> work, Predicate<T> more) {
        return Mono.defer(() -> {
            Connection kept = parked.getAndSet(null);
            boolean[] again = new boolean[1];
            return Mono.usingWhen(kept != null ? Mono.just(kept) : Mono.from(connections.create()),
                    connection -> work.apply(connection).doOnNext(value -> again[0] = more.test(value)),
                    connection -> again[0] ? park(connection) : Mono.from(connection.close()),
                    (connection, error) -> connection.close(),
                    Connection::close);
        });
    }

    private Mono<Void> park(Connection connection) {
        return Mono.fromRunnable(() -> {
            parked.set(connection);
            // Checked after parking: a release() or close() that ran meanwhile found nothing to give back.
            if (closed || !wanted.getAsBoolean()) {
                release();
            }
        });
    }

    /** Gives the kept connection, if any, back to the pool: the consumer wants nothing for now. */
    void release() {
        Connection connection = parked.getAndSet(null);
        if (connection != null) {
            Mono.from(connection.close()).onErrorResume(e -> Mono.empty()).subscribe();
        }
    }

    /** Gives the kept connection back and keeps none from now on: the read has ended. */
    void close() {
        closed = true;
        release();
    }
}
