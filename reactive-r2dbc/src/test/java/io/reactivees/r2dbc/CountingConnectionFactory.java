package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Statement;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A connection factory that records the text of every statement its connections create, and the
 * name of every method called on them, so a test can count the queries a store really sends. Its connections implement every public interface of
 * the driver's own (so the store's {@code LISTEN} connection is still an r2dbc-postgresql
 * connection) and pass each call through unchanged, but for the statements a test tells it to
 * {@linkplain #hang hang}.
 */
final class CountingConnectionFactory implements ConnectionFactory {

    private final ConnectionFactory delegate;
    private final Queue<String> statements = new ConcurrentLinkedQueue<>();
    private final Queue<String> calls = new ConcurrentLinkedQueue<>();
    private final AtomicInteger created = new AtomicInteger();
    private volatile Predicate<String> hanging = sql -> false;
    private volatile Slow slow = new Slow(sql -> false, Duration.ZERO);

    /** Which statements answer late, and by how much; one value, so a statement never sees half of a change. */
    private record Slow(Predicate<String> statements, Duration by) {
    }

    CountingConnectionFactory(ConnectionFactory delegate) {
        this.delegate = delegate;
    }

    /** How many statements created so far match {@code sql}. */
    long count(Predicate<String> sql) {
        return statements.stream().filter(sql).count();
    }

    /** How many connections it has opened. */
    int created() {
        return created.get();
    }

    /**
     * From now on, statements whose text {@code statements} accepts are sent nowhere: their
     * {@code execute()} never answers, as when the server or the network stops responding.
     */
    void hang(Predicate<String> statements) {
        hanging = statements;
    }

    /**
     * From now on, statements whose text {@code statements} accepts run at once, but their results
     * reach the caller {@code by} later, as when the answer is slow on its way back; a cancel in
     * that time comes after the server ran them.
     */
    void slow(Predicate<String> statements, Duration by) {
        slow = new Slow(statements, by);
    }

    /** How many times a method of that name was called on the connections so far. */
    long calls(String method) {
        return calls.stream().filter(method::equals).count();
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.from(delegate.create()).doOnNext(c -> created.incrementAndGet()).map(this::counting);
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
                            String sql = (String) args[0];
                            statements.add(sql);
                            Statement statement = (Statement) invoke(method, connection, args);
                            Slow late = slow;
                            return hanging.test(sql) ? hangingOne(statement) : late.statements().test(sql) ? slowOne(statement, late.by()) : statement;
                        default:
                            return invoke(method, connection, args);
                    }
                });
    }

    private static Statement hangingOne(Statement statement) {
        return (Statement) Proxy.newProxyInstance(CountingConnectionFactory.class.getClassLoader(),
                publicInterfaces(statement.getClass()), (proxy, method, args) ->
                        method.getName().equals("execute") ? Mono.never() : invoke(method, statement, args));
    }

    private static Statement slowOne(Statement statement, Duration by) {
        return (Statement) Proxy.newProxyInstance(CountingConnectionFactory.class.getClassLoader(),
                publicInterfaces(statement.getClass()), (proxy, method, args) -> method.getName().equals("execute")
                        ? Flux.from(statement.execute()).map(result -> slowResult(result, by))
                        : invoke(method, statement, args));
    }

    /** A result whose rows (or segments) are read at once and handed on {@code by} later. */
    private static Result slowResult(Result result, Duration by) {
        return (Result) Proxy.newProxyInstance(CountingConnectionFactory.class.getClassLoader(),
                publicInterfaces(result.getClass()), (proxy, method, args) -> {
                    Object answer = invoke(method, result, args);
                    return answer instanceof Publisher<?> items && !method.getName().equals("getRowsUpdated")
                            ? Flux.from(items).concatMap(item -> Mono.delay(by).thenReturn(item))
                            : answer;
                });
    }

    private static Object invoke(java.lang.reflect.Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
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
