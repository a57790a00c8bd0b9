package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Statement;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.reactivestreams.Publisher;
import reactor.core.publisher.Mono;

/**
 * A connection factory over another that counts the connections it opens and the statements they
 * create, and that can make chosen statements hang: while {@link #hang} is set, a statement whose
 * text {@code hangs} accepts is sent nowhere and its {@code execute()} never answers, as when the
 * server or the network stops responding.
 */
final class HangingConnectionFactory implements ConnectionFactory {

    /** How many connections it opened. */
    final AtomicInteger created = new AtomicInteger();
    /** While set, the chosen statements hang. */
    final AtomicBoolean hang = new AtomicBoolean();
    private final ConnectionFactory delegate;
    private final Predicate<String> hangs;
    private final Predicate<String> counted;
    private final AtomicInteger statements = new AtomicInteger();

    /**
     * @param hangs which statements hang while {@link #hang} is set
     * @param counted which statements {@link #counted()} counts
     */
    HangingConnectionFactory(ConnectionFactory delegate, Predicate<String> hangs, Predicate<String> counted) {
        this.delegate = delegate;
        this.hangs = hangs;
        this.counted = counted;
    }

    /** How many statements that {@code counted} accepts its connections created. */
    int counted() {
        return statements.get();
    }

    @Override
    public Publisher<? extends Connection> create() {
        return Mono.from(delegate.create()).doOnNext(c -> created.incrementAndGet()).map(this::wrap);
    }

    @Override
    public ConnectionFactoryMetadata getMetadata() {
        return delegate.getMetadata();
    }

    private Connection wrap(Connection connection) {
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), interfaces(connection.getClass()), (proxy, method, args) -> {
            if (method.getName().equals("equals")) {
                return proxy == args[0];
            }
            if (method.getName().equals("hashCode")) {
                return System.identityHashCode(proxy);
            }
            Object result = invoke(method, connection, args);
            if (method.getName().equals("createStatement")) {
                String sql = (String) args[0];
                if (counted.test(sql)) {
                    statements.incrementAndGet();
                }
                if (hang.get() && hangs.test(sql)) {
                    Statement real = (Statement) result;
                    return Proxy.newProxyInstance(getClass().getClassLoader(), interfaces(real.getClass()), (p, m, a) ->
                            m.getName().equals("execute") ? Mono.never() : invoke(m, real, a));
                }
            }
            return result;
        });
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static Class<?>[] interfaces(Class<?> type) {
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
