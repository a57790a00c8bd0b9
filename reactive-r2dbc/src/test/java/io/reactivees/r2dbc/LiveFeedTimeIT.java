package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import io.r2dbc.spi.Statement;
import io.r2dbc.spi.Wrapped;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.Collected;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The live feed's timers on virtual time, against a real PostgreSQL: the poll finds what no
 * notification announced, the reader idles without live subscriptions and starts again, a database
 * that stops answering fails the live subscriptions within the documented bound (and a resubscription
 * after the last event carries on), and LISTEN works through a wrapped connection factory.
 */
class LiveFeedTimeIT {

    private static final Duration POLL = Duration.ofSeconds(1);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final String applicationName = PgTestSupport.applicationName("feed_time");
    private StoreOnSchema on;
    private PostgresEventStore timed;
    private Disposable subscription;

    @BeforeEach
    void schema() {
        on = PgTestSupport.newStore(options -> options);
    }

    @AfterEach
    void close() {
        if (subscription != null) {
            subscription.dispose();
        }
        if (timed != null) {
            timed.close().block(TIMEOUT);
        }
        on.close();
        time.dispose();
    }

    private PostgresEventStore timedStore(ConnectionFactory factory) {
        return timedStore(factory, time);
    }

    private PostgresEventStore timedStore(ConnectionFactory factory, Scheduler timer) {
        timed = PostgresEventStore.builder(factory)
                .options(PostgresEventStoreOptions.builder().schema(on.schema).poolSize(0, 4).pollInterval(POLL).build())
                .timer(timer)
                .build();
        return timed;
    }

    private Collected follow(PostgresEventStore store, EventQuery query) {
        Collected collected = new Collected();
        subscription = store.subscribe(query).subscribe(collected.events::add, collected::fail);
        return collected;
    }

    private void appendOne(String id) {
        on.store.append(StreamId.of("item", id), ExpectedVersion.any(), List.of(EventData.of("item.touched", "{}"))).block(TIMEOUT);
    }

    /**
     * Waits until {@code collected} holds {@code n} events, letting a poll interval pass on the
     * virtual clock at each look: a wake-up that came while the cluster-wide horizon was held back
     * (another test's open transaction) found nothing, and only a poll finds it then.
     */
    private void awaitWithPolls(Collected collected, int n) {
        AtomicInteger looks = new AtomicInteger();
        PgTestSupport.awaitTrue("the subscription received " + n + " events", () -> {
            if (collected.error != null) {
                throw new AssertionError("the subscription failed", collected.error);
            }
            if (collected.size() >= n) {
                return true;
            }
            // one poll per 200 ms of real time: the feed's deadline (10 polls) stays far beyond a real read
            if (looks.incrementAndGet() % 10 == 0) {
                time.advanceTimeBy(POLL);
            }
            return false;
        });
    }

    private long listeners() {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1"
                + " AND query LIKE 'LISTEN%'", applicationName).block(TIMEOUT).get(0).get("n");
    }

    private void awaitListeners(long n) {
        PgTestSupport.await(n + " LISTEN connections", () -> Mono.fromCallable(() -> listeners() == n).subscribeOn(Schedulers.boundedElastic()));
    }

    /** Holds for a moment of real time: nothing on the virtual clock may move meanwhile. */
    private static void aMomentPasses() {
        Mono.delay(Duration.ofMillis(400)).block(TIMEOUT);
    }

    @Test
    void thePollFindsAnEventNoNotificationAnnouncedWhenItsIntervalPasses() {
        PostgresEventStore store = timedStore(PgTestSupport.namedFactory(applicationName));
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);
        awaitListeners(1);
        try (RawSession raw = new RawSession()) {
            PgTestSupport.insertRawEvent(raw, on, UUID.randomUUID(), "item-raw", "item", 1, "item.touched", "{}");
        }
        aMomentPasses();
        assertEquals(1, live.size(), "no wake-up: the event waits for the poll");
        awaitWithPolls(live, 2);
        PgTestSupport.assertStrictGlobalOrder(live.snapshot());
    }

    @Test
    void theReaderStopsWithoutLiveSubscriptionsAndStartsAgainForTheNext() {
        PostgresEventStore store = timedStore(PgTestSupport.namedFactory(applicationName));
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);
        awaitListeners(1);
        subscription.dispose();

        time.advanceTimeBy(POLL.multipliedBy(2)); // idle for its grace period
        awaitListeners(0);
        assertFalse(store.feedStatus().block(TIMEOUT).running());

        appendOne("second");
        Collected again = follow(store, EventQuery.all());
        awaitWithPolls(again, 2);
        awaitListeners(1);
        appendOne("third");
        awaitWithPolls(again, 3);
    }

    @Test
    void aDatabaseThatStopsAnsweringFailsLiveSubscriptionsWithinTheBoundAndAResubscriptionCarriesOn() {
        AtomicBoolean silent = new AtomicBoolean();
        PostgresEventStore store = timedStore(new StatementFactory(PgTestSupport.namedFactory(applicationName), Function.identity(), silent));
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);
        awaitListeners(1);

        silent.set(true); // every statement is sent into the void, like a server that froze
        appendOne("second"); // its notification wakes the reader, whose read never answers
        time.advanceTimeBy(LiveFeed.FAIL_AFTER.dividedBy(2));
        aMomentPasses();
        assertNull(live.error, "not yet past the bound");
        time.advanceTimeBy(LiveFeed.FAIL_AFTER.dividedBy(2).plus(POLL));
        PgTestSupport.awaitTrue("the live subscription failed", () -> live.error != null);
        assertInstanceOf(StoreUnavailableException.class, live.error);

        silent.set(false);
        // The read the reader sent into the void meanwhile ends when the reader, left without live
        // subscriptions, stops after its grace period (otherwise at its deadline, failing whoever joined).
        time.advanceTimeBy(POLL.multipliedBy(3));
        List<RecordedEvent> before = live.snapshot();
        Collected resumed = follow(store, EventQuery.all().after(before.get(before.size() - 1).position()));
        appendOne("third");
        List<RecordedEvent> log = on.loadAll();
        awaitWithPolls(resumed, log.size() - before.size());
        List<RecordedEvent> together = new java.util.ArrayList<>(before);
        together.addAll(resumed.snapshot());
        assertEquals(PgTestSupport.ids(log), PgTestSupport.ids(together), "nothing lost, nothing twice");
    }

    @Test
    void aCatchUpReadThatNeverAnswersFailsTheSubscriptionAtTheBound() {
        AtomicBoolean silent = new AtomicBoolean();
        PostgresEventStore store = timedStore(new StatementFactory(PgTestSupport.namedFactory(applicationName), Function.identity(), silent));
        appendOne("first");
        silent.set(true); // the subscription's first page goes into the void
        Collected catchingUp = follow(store, EventQuery.all());
        aMomentPasses();
        time.advanceTimeBy(LiveFeed.FAIL_AFTER.minusMillis(1));
        aMomentPasses();
        assertNull(catchingUp.error, "not yet past the bound");
        time.advanceTimeBy(Duration.ofMillis(1));
        PgTestSupport.awaitTrue("the catch-up failed", () -> catchingUp.error != null);
        assertInstanceOf(StoreUnavailableException.class, catchingUp.error);
        assertEquals(0, catchingUp.size());
    }

    @Test
    void aLostListenConnectionReconnectsAfterItsBackoffOnTheVirtualClock() {
        PostgresEventStore store = timedStore(PgTestSupport.namedFactory(applicationName));
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);
        awaitListeners(1);
        int pid = (Integer) PgTestSupport.queryAsync("SELECT pid FROM pg_stat_activity WHERE application_name = $1"
                + " AND query LIKE 'LISTEN%'", applicationName).block(TIMEOUT).get(0).get("pid");
        PgTestSupport.terminate(pid);
        aMomentPasses();
        assertEquals(0, listeners(), "the reconnect waits for its backoff, on the virtual clock");
        time.advanceTimeBy(Duration.ofMillis(200)); // the first pause: 100 ms, jitter included at most 150 ms
        awaitListeners(1);
        appendOne("second");
        awaitWithPolls(live, 2);
        assertNull(live.error);
    }

    @Test
    void aReaderLoopThatEndsWithAnErrorFailsItsLiveSubscriptionsAndTheNextSubscriptionStartsANewReader() {
        // The store's timer, whose clock the reader reads at every tick, breaks once: a bug inside
        // the reader's loop rather than a failed read, which the reader would retry.
        BreakingClock timer = new BreakingClock(time);
        PostgresEventStore store = timedStore(PgTestSupport.namedFactory(applicationName), timer);
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);

        timer.breakOnce(new IllegalStateException("a bug in the reader's loop"));
        time.advanceTimeBy(POLL); // the poll's tick reads the clock
        PgTestSupport.awaitTrue("the live subscription failed", () -> live.error != null);
        assertInstanceOf(StoreUnavailableException.class, live.error);
        assertTrue(live.error.getMessage().contains("a bug in the reader's loop"), live.error.getMessage());

        List<RecordedEvent> before = live.snapshot();
        Collected resumed = follow(store, EventQuery.all().after(before.get(before.size() - 1).position()));
        appendOne("second");
        List<RecordedEvent> log = on.loadAll();
        awaitWithPolls(resumed, log.size() - before.size());
        assertNull(resumed.error);
        List<RecordedEvent> together = new java.util.ArrayList<>(before);
        together.addAll(resumed.snapshot());
        assertEquals(PgTestSupport.ids(log), PgTestSupport.ids(together), "nothing lost, nothing twice");
    }

    /** A scheduler whose {@code now} throws once when told to; everything else is {@code delegate}'s. */
    private static final class BreakingClock implements Scheduler {
        private final Scheduler delegate;
        private final AtomicReference<RuntimeException> next = new AtomicReference<>();

        BreakingClock(Scheduler delegate) {
            this.delegate = delegate;
        }

        void breakOnce(RuntimeException error) {
            next.set(error);
        }

        @Override
        public long now(TimeUnit unit) {
            RuntimeException error = next.getAndSet(null);
            if (error != null) {
                throw error;
            }
            return delegate.now(unit);
        }

        @Override
        public Disposable schedule(Runnable task) {
            return delegate.schedule(task);
        }

        @Override
        public Disposable schedule(Runnable task, long delay, TimeUnit unit) {
            return delegate.schedule(task, delay, unit);
        }

        @Override
        public Disposable schedulePeriodically(Runnable task, long initialDelay, long period, TimeUnit unit) {
            return delegate.schedulePeriodically(task, initialDelay, period, unit);
        }

        @Override
        public Worker createWorker() {
            return delegate.createWorker();
        }

        @Override
        public void dispose() {
            // the test disposes the virtual scheduler itself
        }
    }

    @Test
    void listenWorksThroughAWrappedConnectionFactory() {
        // Connections that are only Connection and Wrapped, as r2dbc-proxy or Spring Boot's observation hand out.
        PostgresEventStore store = timedStore(new StatementFactory(PgTestSupport.namedFactory(applicationName),
                StatementFactory::onlyWrapped, new AtomicBoolean()));
        appendOne("first");
        Collected live = follow(store, EventQuery.all());
        awaitWithPolls(live, 1);
        awaitListeners(1);
        appendOne("second");
        awaitWithPolls(live, 2);
        assertEquals(1, listeners(), "the LISTEN connection is the r2dbc-postgresql one under the wrapper");
    }

    /**
     * Wraps a factory's connections with {@code wrap}; while {@code silent} is set, their statements
     * are sent nowhere and never answer.
     */
    private static final class StatementFactory implements ConnectionFactory {
        private final ConnectionFactory delegate;
        private final Function<Connection, Connection> wrap;
        private final AtomicBoolean silent;

        StatementFactory(ConnectionFactory delegate, Function<Connection, Connection> wrap, AtomicBoolean silent) {
            this.delegate = delegate;
            this.wrap = wrap;
            this.silent = silent;
        }

        @Override
        public Publisher<? extends Connection> create() {
            return Mono.from(delegate.create()).map(c -> wrap.apply(silencing(c)));
        }

        @Override
        public ConnectionFactoryMetadata getMetadata() {
            return delegate.getMetadata();
        }

        private Connection silencing(Connection connection) {
            return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), allInterfaces(connection.getClass()), (proxy, method, args) -> {
                Object result = identity(proxy, method, args);
                if (result != null) {
                    return result;
                }
                result = invoke(method, connection, args);
                if (method.getName().equals("createStatement") && silent.get()) {
                    Statement real = (Statement) result;
                    return Proxy.newProxyInstance(getClass().getClassLoader(), allInterfaces(real.getClass()), (p, m, a) ->
                            m.getName().equals("execute") ? Mono.never() : invoke(m, real, a));
                }
                return result;
            });
        }

        static Connection onlyWrapped(Connection connection) {
            return (Connection) Proxy.newProxyInstance(StatementFactory.class.getClassLoader(), new Class<?>[] {Connection.class, Wrapped.class},
                    (proxy, method, args) -> {
                        Object result = identity(proxy, method, args);
                        if (result != null) {
                            return result;
                        }
                        return method.getName().equals("unwrap") && (args == null || args.length == 0) ? connection : invoke(method, connection, args);
                    });
        }

        private static Object identity(Object proxy, Method method, Object[] args) {
            return switch (method.getName()) {
                case "equals" -> proxy == args[0];
                case "hashCode" -> System.identityHashCode(proxy);
                case "toString" -> "wrapped connection";
                default -> null;
            };
        }

        private static Object invoke(Method method, Object target, Object[] args) throws Throwable {
            try {
                return method.invoke(target, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        }

        private static Class<?>[] allInterfaces(Class<?> type) {
            java.util.Set<Class<?>> interfaces = new java.util.LinkedHashSet<>();
            for (Class<?> c = type; c != null; c = c.getSuperclass()) {
                for (Class<?> i : c.getInterfaces()) {
                    if (java.lang.reflect.Modifier.isPublic(i.getModifiers())) {
                        interfaces.add(i);
                    }
                }
            }
            return interfaces.toArray(Class<?>[]::new);
        }
    }
}
