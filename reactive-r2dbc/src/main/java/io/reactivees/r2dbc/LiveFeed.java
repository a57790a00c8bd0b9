package io.reactivees.r2dbc;

import io.r2dbc.postgresql.api.PostgresqlConnection;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.r2dbc.spi.Wrapped;
import io.reactivees.core.EventQuery;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.r2dbc.EventReads.Page;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.reactivestreams.Publisher;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.util.concurrent.Queues;
import reactor.util.retry.Retry;

/**
 * The shared live tail of one store, and the subscriptions on it.
 *
 * <p>One reader follows the head of the log: woken by this store's own commits, by a notification
 * on the store's {@code LISTEN} connection (another store's commits) or by a timer, it reads the next
 * pages below the transaction horizon (one query when the page is not full) and hands each page to
 * every live subscription, which filters it in memory into a bounded buffer of its own.
 *
 * <p>A commit of this store wakes the reader directly; other stores' commits arrive as notifications
 * that their {@link CommitNotifier} sends after they commit.
 *
 * <p>A subscription alternates between two phases. <em>Catching up</em>, it reads pages of its own
 * (filtered in SQL) until a page comes back short: it has then covered the log up to that query's
 * horizon. <em>Live</em>, it takes events from the shared pages. Each page says which stretch of the
 * log it covers, so a subscription detects a page that starts beyond what it has covered (the feed
 * moved on while it was registering) and goes back to catching up instead of skipping events; the
 * same happens when its buffer overflows. Either way it resumes from the last event it enqueued, so
 * nothing is lost or repeated.
 *
 * <p>The reader runs only while there is a live subscription: shortly after the last one leaves it
 * stops, with its poll and its {@code LISTEN} connection, and the next one starts it again. When the database
 * goes away, the reader tries again at each wake-up (the poll keeps coming); once it is back, the
 * live subscriptions carry on, nothing lost and nothing twice. When it has failed for
 * {@link #FAIL_AFTER} (a read that does not answer counts as failed at that deadline), every live
 * subscription fails with {@link StoreUnavailableException}, so its subscriber resumes {@code after}
 * its last position: a subscription never stalls silently. Time comes from the injected
 * {@link Scheduler} and {@link Clock}.
 */
final class LiveFeed {

    private static final System.Logger LOG = System.getLogger(LiveFeed.class.getName());

    /** How long the reader may fail, read after read, before the live subscriptions fail. */
    static final Duration FAIL_AFTER = Duration.ofSeconds(10);

    private final PostgresEventStore store;
    private final ConnectionFactory listenFactory;
    private final SqlNames names;
    private final PostgresEventStoreOptions options;
    private final Scheduler delivery;
    private final Scheduler timer;
    private final Clock clock;
    private final CommitNotifier notifier;
    private final Set<Registration> registrations = ConcurrentHashMap.newKeySet();
    /** Live subscriptions that left the feed for queries of their own (an overflow or a gap). */
    private final AtomicLong fallbacks = new AtomicLong();
    /** Wakes the reader; emitted into only by {@link #wakeLocally()}, which serializes the emissions. */
    private final Sinks.Many<Long> localCommits = Sinks.unsafe().many().multicast().directBestEffort();
    private final AtomicInteger wakeUpsPending = new AtomicInteger();

    // Written only by the feed loop, which runs one drain at a time.
    private volatile Position through;
    private volatile Instant lastAdvancedAt;
    private Disposable loop; // guarded by this
    private boolean stopped; // guarded by this
    /** Whether the next drain starts from the current horizon: the reader (re)started. */
    private volatile boolean fresh = true;
    /** When the reader's reads started failing in a row, in the timer's milliseconds; -1 while they succeed. */
    private volatile long failingSince = -1;

    LiveFeed(PostgresEventStore store, ConnectionFactory listenFactory, SqlNames names,
             PostgresEventStoreOptions options, Scheduler delivery, Scheduler timer, Clock clock) {
        this.store = store;
        this.listenFactory = listenFactory;
        this.names = names;
        this.options = options;
        this.delivery = delivery;
        this.timer = timer;
        this.clock = clock;
        this.notifier = new CommitNotifier(store.database(), names, timer);
    }

    Flux<RecordedEvent> subscribe(EventQuery query) {
        return Flux.defer(() -> {
            Cursor cursor = new Cursor(query.after());
            return Flux.defer(() -> cursor.live ? live(query, cursor) : catchUp(query, cursor)).repeat();
        });
    }

    /**
     * One page of a subscription's own catch-up read. A page that does not answer within
     * {@link #FAIL_AFTER} (a frozen server, a half-open connection) fails the subscription as
     * unavailable, as the live feed's reads do, instead of stalling it.
     */
    private Flux<RecordedEvent> catchUp(EventQuery query, Cursor cursor) {
        return store.globalPage(query, cursor.position, null)
                .timeout(FAIL_AFTER, Mono.error(() -> new StoreUnavailableException("a catch-up read of "
                        + query + " did not answer within " + FAIL_AFTER + "; resubscribe after the last event received", null)), timer)
                .flatMapMany(page -> Flux.fromIterable(page.events()).doOnComplete(() -> {
                    cursor.position = page.through();
                    cursor.live = page.last();
                }));
    }

    private Flux<RecordedEvent> live(EventQuery query, Cursor cursor) {
        Registration registration = new Registration(query, cursor.position);
        synchronized (this) {
            if (stopped) {
                return Flux.error(new StoreUnavailableException("the store is closed", null));
            }
            registrations.add(registration);
            startIfIdle();
        }
        return registration.sink.asFlux()
                .publishOn(delivery, 32)
                .doOnComplete(() -> {
                    cursor.position = registration.enqueuedThrough;
                    cursor.live = false;
                })
                .doFinally(signal -> leave(registration));
    }

    /** With the lock held: starts the reader unless it runs. */
    private void startIfIdle() {
        if (loop != null && !loop.isDisposed()) { // a loop that ended with an error is replaced
            return;
        }
        fresh = true;
        failingSince = -1;
        loop = Flux.merge(localCommits.asFlux(), wakeUpsFromNotifications(), Flux.interval(Duration.ZERO, options.pollInterval(), timer))
                .onBackpressureLatest()
                .concatMap(tick -> {
                    long started = timer.now(TimeUnit.MILLISECONDS);
                    return drain()
                            .timeout(FAIL_AFTER, timer)
                            .doOnSuccess(done -> failingSince = -1)
                            .onErrorResume(e -> {
                                readFailed(e, started);
                                return Mono.empty();
                            });
                }, 1)
                .subscribe(null, this::loopFailed);
    }

    /**
     * The reader's loop ended with an error it does not retry (a bug, or an error thrown by its own
     * error handling): its live subscriptions fail, so their subscribers resume after their last
     * event instead of waiting forever, and the next subscription starts a new reader.
     */
    private void loopFailed(Throwable error) {
        LOG.log(Level.ERROR, "live feed of schema " + names.schema() + " stopped; failing its live subscriptions", error);
        synchronized (this) {
            loop = null;
        }
        failLive(new StoreUnavailableException("the live feed of schema " + names.schema()
                + " stopped: " + error + "; resubscribe after the last event received", error));
    }

    /** Ends every live subscription with {@code failure}: each subscriber resumes after its last event. */
    private void failLive(RuntimeException failure) {
        for (Registration registration : registrations) {
            registration.fail(failure);
        }
    }

    /**
     * A live subscription ended. When it was the last, the reader stops unless one joins within
     * {@link #idleAfter()}: a subscription that left to catch up on its own (a gap, an overflow)
     * comes back to a reader that kept its place.
     */
    private void leave(Registration registration) {
        boolean idle;
        synchronized (this) {
            registrations.remove(registration);
            idle = registrations.isEmpty() && loop != null;
        }
        if (idle) {
            try {
                timer.schedule(this::stopIfIdle, idleAfter().toMillis(), TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.RejectedExecutionException e) { // the timer is shut down: stop now
                stopIfIdle();
            }
        }
    }

    private synchronized void stopIfIdle() {
        if (registrations.isEmpty() && loop != null) {
            loop.dispose();
            loop = null;
        }
    }

    /** How long the reader runs on without a live subscription. */
    private Duration idleAfter() {
        Duration twoPolls = options.pollInterval().multipliedBy(2);
        return twoPolls.compareTo(Duration.ofSeconds(1)) > 0 ? twoPolls : Duration.ofSeconds(1);
    }

    /**
     * The reader failed: it tries again at the next wake-up; once it has failed for
     * {@link #FAIL_AFTER} in a row, the live subscriptions fail, so their subscribers resume.
     */
    private void readFailed(Throwable error, long readStarted) {
        long now = timer.now(TimeUnit.MILLISECONDS);
        long since = failingSince;
        if (since < 0) {
            // failing since the failed read began: one that hung until its deadline has failed for all of it
            since = readStarted;
            failingSince = since;
            LOG.log(Level.WARNING, "live feed of schema " + names.schema() + " could not read; retrying on the next wake-up", error);
        }
        if (now - since < FAIL_AFTER.toMillis()) {
            LOG.log(Level.DEBUG, "live feed of schema " + names.schema() + " still cannot read", error);
            return;
        }
        failingSince = -1;
        RuntimeException failure = Errors.translate(error, names, "following events (the live feed failed for " + FAIL_AFTER + ")");
        LOG.log(Level.WARNING, "live feed of schema " + names.schema() + " failed for " + FAIL_AFTER
                + "; failing its live subscriptions, which resume after their last position", error);
        failLive(failure);
    }

    /** A tick per notification, and one whenever the LISTEN connection is (re)established. */
    private Flux<Long> wakeUpsFromNotifications() {
        return Flux.usingWhen(
                        Mono.from(listenFactory.create()),
                        connection -> listen(connection),
                        connection -> closeListener(connection),
                        (connection, error) -> closeListener(connection),
                        connection -> closeListener(connection))
                .retryWhen(Retry.backoff(Long.MAX_VALUE, Duration.ofMillis(100)).maxBackoff(Duration.ofSeconds(5))
                        .scheduler(timer)
                        .transientErrors(true)
                        .doBeforeRetry(signal -> LOG.log(Level.INFO, "reconnecting the LISTEN connection of schema "
                                + names.schema() + " after: " + signal.failure())))
                .repeatWhen(completions -> completions.concatMap(done -> Mono.delay(Duration.ofMillis(100), timer)));
    }

    /**
     * The r2dbc-postgresql connection under {@code connection}: itself, or what a wrapper (r2dbc-pool,
     * r2dbc-proxy, Spring Boot's R2DBC observation) wraps, unwrapped as deep as it goes; null when
     * there is none.
     */
    static PostgresqlConnection postgresConnection(Object connection) {
        Object current = connection;
        for (int depth = 0; current != null && depth < 16; depth++) {
            if (current instanceof PostgresqlConnection postgres) {
                return postgres;
            }
            current = current instanceof Wrapped<?> wrapped ? wrapped.unwrap() : null;
        }
        return null;
    }

    private Flux<Long> listen(Connection connection) {
        PostgresqlConnection postgres = postgresConnection(connection);
        if (postgres == null) {
            // Polling still covers it: say so once per connection, never fail silently into a stall.
            LOG.log(Level.WARNING, "the live tail of schema " + names.schema() + " needs an r2dbc-postgresql connection to LISTEN,"
                    + " got " + connection + "; it finds new events by polling every " + options.pollInterval());
            return Flux.never();
        }
        return notifier.listenerLock(postgres)
                .doOnNext(notifier::listening)
                .thenMany(Flux.from(postgres.createStatement("LISTEN \"" + names.channel() + "\"").execute()))
                .concatMap(Result::getRowsUpdated)
                .thenMany(Flux.just(0L).concatWith(postgres.getNotifications()
                        .filter(notification -> !notifier.origin().equals(notification.getParameter()))
                        .map(notification -> 0L)));
    }

    /** Closes the LISTEN connection, and with its session the listeners' lock it held. */
    private Publisher<Void> closeListener(Connection connection) {
        notifier.listening(0);
        return connection.close();
    }

    /**
     * Called after this store committed events: wakes the reader, and lets the other stores on the
     * schema know.
     */
    void committed() {
        wakeLocally();
        notifier.committed();
    }

    /**
     * Emits a wake-up. Concurrent callers (and a caller re-entering from the emission itself) leave
     * their wake-up to the thread already emitting, which emits once more for them: none is lost and
     * no thread spins.
     */
    private void wakeLocally() {
        if (wakeUpsPending.getAndIncrement() != 0) {
            return;
        }
        int missed = 1;
        do {
            localCommits.tryEmitNext(0L);
            missed = wakeUpsPending.addAndGet(-missed);
        } while (missed != 0);
    }

    /** Reads and hands out pages until the feed has reached the horizon. */
    private Mono<Void> drain() {
        // A reader that (re)starts begins at the horizon: a subscription behind it catches up on its own.
        return Mono.defer(() -> through != null && !fresh ? readFrom(through) : store.currentCoverage().flatMap(start -> {
            through = start;
            fresh = false;
            lastAdvancedAt = clock.instant();
            return readFrom(start);
        }));
    }

    private Mono<Void> readFrom(Position from) {
        return store.globalPage(EventQuery.all(), from, null).flatMap(page -> {
            for (Registration registration : registrations) {
                registration.offer(from, page);
            }
            if (page.through().isAfter(from)) {
                through = page.through();
                lastAdvancedAt = clock.instant();
            }
            return page.last() ? Mono.empty() : readFrom(page.through());
        });
    }

    /** The subscriptions on the shared feed now. */
    int liveSubscriptions() {
        return registrations.size();
    }

    /** How many times a live subscription fell back to queries of its own. */
    long fallbacks() {
        return fallbacks.get();
    }

    Mono<FeedStatus> status() {
        // Deferred: each subscription reports the feed as it is then, not as it was at assembly.
        return Mono.defer(() -> {
            Position delivered = through == null ? Position.START : through;
            Instant advanced = lastAdvancedAt;
            boolean running;
            synchronized (this) {
                running = loop != null && !loop.isDisposed();
            }
            return store.countAfter(delivered).map(behind -> new FeedStatus(delivered, behind, advanced, running));
        });
    }

    /**
     * Stops the feed and ends every live subscription. Completes once the last commits are notified:
     * a notification still waiting for its spacing (or in flight while the pool closes) is sent now.
     */
    Mono<Void> stop() {
        synchronized (this) {
            stopped = true;
            if (loop != null) {
                loop.dispose();
            }
        }
        failLive(new StoreUnavailableException("the store was closed", null));
        registrations.clear();
        return notifier.flush();
    }

    /**
     * Retries a terminal emission that raced the feed loop's emission into the same sink: the loop
     * emits one page at a time, so the wait is short; an already terminated or cancelled
     * subscription is left as it is.
     */
    private static final Sinks.EmitFailureHandler BRIEFLY_BUSY = Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(2));

    /** Where a subscription is: everything up to {@code position} is handled. */
    private static final class Cursor {
        volatile Position position;
        volatile boolean live;

        Cursor(Position position) {
            this.position = position;
        }
    }

    /** A live subscription's place on the shared feed. Offered pages only by the feed loop. */
    private final class Registration {
        final EventQuery query;
        final Sinks.Many<RecordedEvent> sink =
                Sinks.many().unicast().onBackpressureBuffer(Queues.<RecordedEvent>get(options.subscriberBufferSize()).get());
        volatile Position enqueuedThrough;

        Registration(EventQuery query, Position coveredThrough) {
            this.query = query;
            this.enqueuedThrough = coveredThrough;
        }

        void offer(Position from, Page page) {
            Position covered = enqueuedThrough;
            if (!page.through().isAfter(covered)) {
                return;
            }
            if (from.isAfter(covered)) {
                fallbacks.incrementAndGet();
                end(); // a gap: the feed moved on before this subscription joined it
                return;
            }
            for (RecordedEvent event : page.events()) {
                if (!event.position().isAfter(covered) || !query.matches(event)) {
                    continue;
                }
                Sinks.EmitResult emitted = sink.tryEmitNext(event);
                if (emitted.isFailure()) {
                    if (emitted == Sinks.EmitResult.FAIL_OVERFLOW) {
                        fallbacks.incrementAndGet();
                    }
                    enqueuedThrough = covered; // overflowed or cancelled: resume after the last enqueued
                    end();
                    return;
                }
                covered = event.position();
            }
            enqueuedThrough = page.through();
        }

        private void end() {
            registrations.remove(this);
            terminate(() -> sink.emitComplete(BRIEFLY_BUSY));
        }

        /** Fails the subscription; from any thread (the feed loop may be emitting into the sink meanwhile). */
        void fail(Throwable error) {
            registrations.remove(this);
            terminate(() -> sink.emitError(error, BRIEFLY_BUSY));
        }

        private void terminate(Runnable emission) {
            try {
                emission.run();
            } catch (Sinks.EmissionException e) {
                LOG.log(Level.ERROR, "could not end a live subscription of schema " + names.schema(), e);
            }
        }
    }
}
