package io.reactivees.benchmarks;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.util.concurrent.atomic.LongAdder;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Wraps an r2dbc-postgresql factory and counts, in process, every statement the store creates on its
 * connections (by kind) and every notification its {@code LISTEN} connection receives. The
 * connections stay {@link PostgresqlConnection}s (a dynamic proxy), as the store's live tail needs.
 */
final class CountingConnectionFactory implements ConnectionFactory {

    private final ConnectionFactory delegate;
    /** Shared feed pages: the global page query with no filter. */
    final LongAdder feedQueries = new LongAdder();
    /** Catch-up pages of the subscriptions (they filter by category, so the SQL names it). */
    final LongAdder subscriptionQueries = new LongAdder();
    /** The feed's start: {@code pg_snapshot_xmin} alone. */
    final LongAdder horizonQueries = new LongAdder();
    final LongAdder otherStatements = new LongAdder();
    final LongAdder notifications = new LongAdder();
    /** Sees the text of every statement created, when set. */
    volatile java.util.function.Consumer<String> statementListener;

    CountingConnectionFactory(ConnectionFactory delegate) {
        this.delegate = delegate;
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.from(delegate.create()).map(this::wrap);
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return delegate.getMetadata();
    }

    long totalStatements() {
        return feedQueries.sum() + subscriptionQueries.sum() + horizonQueries.sum() + otherStatements.sum();
    }

    private void count(String sql) {
        java.util.function.Consumer<String> listener = statementListener;
        if (listener != null) {
            listener.accept(sql);
        }
        if (sql.startsWith("WITH h AS") && sql.contains("category = $")) {
            subscriptionQueries.increment();
        } else if (sql.startsWith("WITH h AS")) {
            feedQueries.increment();
        } else if (sql.startsWith("SELECT pg_snapshot_xmin")) {
            horizonQueries.increment();
        } else {
            otherStatements.increment();
        }
    }

    private Connection wrap(Connection connection) {
        InvocationHandler handler = new InvocationHandler() {
            @Override
            public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
                if (method.getName().equals("createStatement") && args != null && args.length == 1 && args[0] instanceof String sql) {
                    count(sql);
                }
                Object result;
                try {
                    result = method.invoke(connection, args);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                if (method.getName().equals("getNotifications") && result instanceof Flux<?> flux) {
                    return flux.doOnNext(n -> notifications.increment());
                }
                if (method.getName().equals("equals") && args != null && args.length == 1) {
                    return proxy == args[0];
                }
                return result;
            }
        };
        return (Connection) Proxy.newProxyInstance(PostgresqlConnection.class.getClassLoader(),
                new Class<?>[] {PostgresqlConnection.class}, handler);
    }
}
