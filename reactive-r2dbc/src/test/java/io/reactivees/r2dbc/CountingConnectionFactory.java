package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * A connection factory that records the text of every statement its connections create, and the
 * name of every method called on them, so a test can count the queries a store really sends. Its connections implement every public interface of
 * the driver's own (so the store's {@code LISTEN} connection is still an r2dbc-postgresql
 * connection) and pass each call through unchanged.
 */
final class CountingConnectionFactory implements ConnectionFactory {

    private final ConnectionFactory delegate;
    private final Queue<String> statements = new ConcurrentLinkedQueue<>();
    private final Queue<String> calls = new ConcurrentLinkedQueue<>();

    CountingConnectionFactory(ConnectionFactory delegate) {
        this.delegate = delegate;
    }

    /** How many statements created so far match {@code sql}. */
    long count(Predicate<String> sql) {
        return statements.stream().filter(sql).count();
    }

    /** How many times a method of that name was called on the connections so far. */
    long calls(String method) {
        return calls.stream().filter(method::equals).count();
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.from(delegate.create()).map(this::counting);
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return delegate.getMetadata();
    }

    private Connection counting(Connection connection) {
        return (Connection) Proxy.newProxyInstance(CountingConnectionFactory.class.getClassLoader(),
                publicInterfaces(connection.getClass()), (proxy, method, args) -> {
                    calls.add(method.getName());
                    switch (method.getName()) {
                        case "equals":
                            return proxy == args[0];
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "createStatement":
                            statements.add((String) args[0]);
                            break;
                        default:
                            break;
                    }
                    try {
                        return method.invoke(connection, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    private static Class<?>[] publicInterfaces(Class<?> type) {
        Set<Class<?>> interfaces = new LinkedHashSet<>();
        for (Class<?> c = type; c != null; c = c.getSuperclass()) {
            for (Class<?> i : c.getInterfaces()) {
                if (Modifier.isPublic(i.getModifiers())) {
                    interfaces.add(i);
                }
            }
        }
        return interfaces.toArray(Class<?>[]::new);
    }
}
