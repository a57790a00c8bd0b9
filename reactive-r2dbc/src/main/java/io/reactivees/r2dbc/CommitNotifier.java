package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.reactivees.r2dbc.Database.Sql;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Tells the other stores on a schema that this one committed: a {@code NOTIFY} on the schema's
 * channel, sent after the commit (never inside it: PostgreSQL serializes the commits of all
 * notifying transactions on one lock), at most one in flight and at most one per {@link #SPACING},
 * so that a burst of commits costs one notification.
 *
 * <p>It is sent only while another store listens. A store's {@code LISTEN} connection holds a shared
 * session advisory lock on the channel's key ({@link #listenerLock}), released when that connection
 * ends; the notifier counts the holders other than its own store's listener at most once per
 * {@link #LISTENER_CHECK}, in the statement that notifies, and in between sends nothing while it
 * counted none. A store that starts listening is therefore notified within that interval; until
 * then its poll and its start-up read cover it, as they cover a lost notification. A session that
 * runs {@code LISTEN} on the channel without the lock is not counted and may hear nothing.
 *
 * <p>Each notification names its store ({@link #origin()}), so that the store's own listener skips it.
 */
final class CommitNotifier {

    private static final System.Logger LOG = System.getLogger(CommitNotifier.class.getName());

    /** The least time between two notifications from one store. */
    static final Duration SPACING = Duration.ofMillis(5);

    /** How long the notifier trusts its count of the other stores' listeners. */
    static final Duration LISTENER_CHECK = Duration.ofSeconds(1);

    /** The first key of the listeners' advisory lock (the second is the channel's hash): "RES1". */
    private static final int LISTENER_LOCK_CLASS = 0x52455331;

    private final Database database;
    private final SqlNames names;
    private final Scheduler timer;
    private final String origin = UUID.randomUUID().toString();
    /** 0: no notification in flight; 1: one in flight; 2: one in flight and a commit since it started. */
    private final AtomicInteger notifying = new AtomicInteger();
    private volatile long lastSentAt;
    /** When the listeners were last counted, in the timer's nanoseconds. */
    private volatile long listenersCountedAt;
    private volatile boolean othersListen;
    /** The backend of this store's own LISTEN connection, 0 while it has none. */
    private volatile int ownListener;

    CommitNotifier(Database database, SqlNames names, Scheduler timer) {
        this.database = database;
        this.names = names;
        this.timer = timer;
        long now = timer.now(TimeUnit.NANOSECONDS);
        this.lastSentAt = now - SPACING.toNanos();
        this.listenersCountedAt = now - LISTENER_CHECK.toNanos();
    }

    /** The value every notification of this store carries. */
    String origin() {
        return origin;
    }

    /**
     * Run on a {@code LISTEN} connection before it listens: takes the listeners' shared lock and
     * returns the connection's backend, to hand to {@link #listening}.
     */
    Mono<Integer> listenerLock(Connection connection) {
        Sql lock = Sql.of("SELECT pg_advisory_lock_shared(" + LISTENER_LOCK_CLASS + ", hashtext($1))::text AS locked,"
                + " pg_backend_pid() AS pid", names.channel());
        return Database.rows(connection, lock, row -> row.get("pid", Integer.class)).single();
    }

    /** This store's listener is the backend {@code pid} (0: it has none), which the count leaves out. */
    void listening(int pid) {
        ownListener = pid;
    }

    /** Called after this store committed events. */
    void committed() {
        if (notifying.getAndUpdate(state -> Math.min(state + 1, 2)) == 0) {
            sendAfterSpacing();
        }
    }

    /**
     * Sends the notification still owed (one waiting for its spacing, or the one after a
     * notification in flight) now.
     *
     * @return a {@code Mono} that completes when it is sent, or at once when none is owed; never fails
     */
    Mono<Void> flush() {
        return notifying.get() == 0 ? Mono.empty() : notification().onErrorResume(error -> {
            LOG.log(Level.DEBUG, "could not notify the other stores of schema " + names.schema() + " at close", error);
            return Mono.empty();
        });
    }

    private void sendAfterSpacing() {
        long wait = SPACING.toNanos() - (timer.now(TimeUnit.NANOSECONDS) - lastSentAt);
        Mono<Void> send = notification();
        (wait > 0 ? Mono.delay(Duration.ofNanos(wait), timer).then(send) : send).subscribe(null, error -> {
            LOG.log(Level.DEBUG, "could not notify the other stores of schema " + names.schema() + "; they find the commits by polling", error);
            sent();
        }, this::sent);
    }

    private void sent() {
        if (notifying.getAndDecrement() == 2) {
            sendAfterSpacing();
        }
    }

    private Mono<Void> notification() {
        return Mono.defer(() -> {
            long now = timer.now(TimeUnit.NANOSECONDS);
            boolean count = now - listenersCountedAt >= LISTENER_CHECK.toNanos();
            if (!count && !othersListen) {
                return Mono.empty(); // nobody else listens: nothing to send
            }
            lastSentAt = now;
            return database.withConnection(connection -> count
                    ? Database.rows(connection, countAndNotify(), row -> row.get("listeners", Long.class)).single().doOnNext(listeners -> {
                        othersListen = listeners > 0;
                        listenersCountedAt = now;
                    }).then()
                    : Database.rows(connection, notifyOnly(), row -> row.get(0, String.class)).then());
        });
    }

    /*
     * A notification takes a transaction id, so its commit would wait for a WAL flush like an
     * append's; it needs no durability (a lost one is covered by the poll), so it does not wait.
     */

    private Sql notifyOnly() {
        return Sql.of("SELECT set_config('synchronous_commit', 'off', true) AS durability, pg_notify($1, $2)::text AS sent",
                names.channel(), origin);
    }

    private Sql countAndNotify() {
        return new Sql("SELECT set_config('synchronous_commit', 'off', true) AS durability, l.n AS listeners,"
                + " CASE WHEN l.n > 0 THEN pg_notify($1, $2)::text END AS sent"
                + " FROM (SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted"
                + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                + " AND classid = " + LISTENER_LOCK_CLASS + " AND objid = hashtext($1)::oid AND objsubid = 2 AND pid <> $3) l",
                List.of(names.channel(), origin, ownListener));
    }
}
