package io.reactivees.r2dbc;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.R2dbcNonTransientResourceException;
import io.r2dbc.spi.ValidationDepth;
import io.reactivees.core.AppendResult;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamAppend;
import io.reactivees.r2dbc.AppendBatch.Outcome;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.util.retry.Retry;

/**
 * A writer connection and its queue: the group commit. While a commit is in flight, appends queue;
 * when it ends, the next commit takes what queued (up to the batch bounds) as one call of
 * {@link AppendFunction}. A lone append is sent at once: no timer waits for company.
 *
 * <ul>
 *   <li>Each append gets its own answer, after the commit: its results, or its own conflict or
 *       duplicate. A batch that fails as a whole for a reason other than the connection (a value the
 *       database refuses, an id inserted by another store meanwhile) is rerun one append at a time,
 *       so the culprit fails alone.
 *   <li>The lane holds one connection, opened outside the pool, and keeps it across commits. When it is lost
 *       mid-commit, every append of that commit fails with {@link StoreUnavailableException}: each
 *       is either committed once or not at all, and a retry with the same event ids is answered
 *       right either way. The next commit takes a new connection; if none can be had (the database
 *       is away), every queued append fails too rather than waiting.
 *   <li>Bounded: at most {@code maxQueuedAppends} wait in the queue; further appends wait outside it
 *       for room, in arrival order. A commit that does not answer within {@code commitTimeout} is
 *       abandoned (its connection closed); an append not sent within {@code appendTimeout} fails.
 *       A queued append that is cancelled is dropped.
 * </ul>
 */
final class WriteLane implements LaneRouter.Lane {

    private final Database database;
    private final SqlNames names;
    private final String callText;
    private final LoneAppend loneAppend;
    private final PostgresEventStoreOptions options;
    private final Scheduler timer;
    private final Runnable committed;

    private final Object lock = new Object();
    private final ArrayDeque<Pending> queue = new ArrayDeque<>();
    private final ArrayDeque<Pending> waiting = new ArrayDeque<>();
    private final Sinks.Empty<Void> stopped = Sinks.empty();
    private boolean committing;
    private boolean closed;
    /** The held connection; touched only by the one commit in flight. */
    private volatile Connection connection;
    /** The commit in flight, for the watchdog; null between commits. */
    private final AtomicReference<InFlight> inFlight = new AtomicReference<>();
    /** Whether a watchdog check is scheduled. */
    private final AtomicBoolean watching = new AtomicBoolean();

    WriteLane(Database database, SqlNames names, PostgresEventStoreOptions options, Scheduler timer, Runnable committed) {
        this.database = database;
        this.names = names;
        this.callText = AppendFunction.call(names);
        this.loneAppend = new LoneAppend(names);
        this.options = options;
        this.timer = timer;
        this.committed = committed;
    }

    /**
     * Queues one append (one entry, or an {@code appendAll}'s entries) for the next commit.
     *
     * @return a cold {@code Mono} that queues on subscription and emits the append's results after
     *     its commit; cancelling it before the commit takes it drops it
     */
    @Override
    public Mono<List<AppendResult>> submit(List<StreamAppend> append) {
        return Mono.create(sink -> {
            Pending pending = new Pending(append, sink, timer.now(TimeUnit.MILLISECONDS) + options.appendTimeout().toMillis());
            sink.onCancel(() -> cancel(pending));
            boolean start = false;
            boolean rejected = false;
            synchronized (lock) {
                if (closed) {
                    rejected = true;
                } else {
                    (queue.size() < options.maxQueuedAppends() ? queue : waiting).add(pending);
                    start = !committing;
                    committing = true;
                }
            }
            if (rejected) {
                sink.error(closedError());
            } else if (start) {
                next();
            }
        });
    }

    /**
     * Stops taking appends: queued ones fail at once, the commit in flight ends (bounded by the
     * commit timeout), and the held connection goes back.
     *
     * @return a cold {@code Mono} that completes when the lane has stopped
     */
    Mono<Void> close() {
        return Mono.defer(() -> {
            List<Pending> dropped = new ArrayList<>();
            boolean idle;
            synchronized (lock) {
                closed = true;
                dropped.addAll(queue);
                dropped.addAll(waiting);
                queue.clear();
                waiting.clear();
                idle = !committing;
            }
            dropped.forEach(p -> p.sink.error(closedError()));
            if (idle) {
                stopped.tryEmitEmpty();
            }
            return stopped.asMono().then(Mono.defer(this::releaseConnection));
        });
    }

    private void cancel(Pending pending) {
        synchronized (lock) {
            if (queue.remove(pending)) {
                admitWaiting();
            } else {
                waiting.remove(pending);
            }
        }
    }

    private void admitWaiting() {
        while (queue.size() < options.maxQueuedAppends() && !waiting.isEmpty()) {
            queue.add(waiting.poll());
        }
    }

    /** Takes the next batch and commits it; when nothing is queued, the lane goes idle. */
    private void next() {
        List<Pending> taken = new ArrayList<>();
        List<Pending> expired = new ArrayList<>();
        AppendBatch batch = new AppendBatch();
        long now = timer.now(TimeUnit.MILLISECONDS);
        boolean stop;
        synchronized (lock) {
            while (!queue.isEmpty()) {
                Pending head = queue.peek();
                if (head.deadline < now) {
                    expired.add(queue.poll());
                    continue;
                }
                if (batch.size() > 0 && !fits(batch, head)) {
                    break;
                }
                queue.poll();
                taken.add(head);
                batch.add(head.append);
            }
            admitWaiting();
            stop = taken.isEmpty();
            if (stop) {
                committing = false;
            }
        }
        expired.forEach(p -> p.sink.error(new StoreUnavailableException("the append was not sent within "
                + options.appendTimeout() + " (the database is slow or away); nothing was stored, retry it", null)));
        if (stop) {
            if (isClosed()) {
                stopped.tryEmitEmpty();
            }
            return;
        }
        commit(batch, taken, false).subscribe(null, e -> next(), this::next);
    }

    private boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }

    private boolean fits(AppendBatch batch, Pending pending) {
        return batch.events() + pending.events <= options.maxBatchEvents()
                && batch.bytes() + pending.bytes <= options.maxBatchBytes()
                && batch.streams() + batch.newStreams(pending.append) <= options.maxBatchStreams();
    }

    /** Commits a batch and answers each of its appends; never fails. */
    private Mono<Void> commit(AppendBatch batch, List<Pending> taken, boolean again) {
        boolean[] sent = {false};
        return heldConnection()
                .flatMap(c -> {
                    sent[0] = true;
                    return taken.size() == 1 && LoneAppend.fits(taken.get(0).append) ? lone(c, taken.get(0).append, batch) : call(c, batch);
                })
                .transform(this::watched)
                .doOnNext(outcomes -> answer(taken, outcomes))
                .then()
                .onErrorResume(e -> {
                    if (!again && isClosedBeforeSending(e)) {
                        // the held connection died at rest (a terminated session, a restart): nothing
                        // was sent, so the batch goes again on a new connection
                        return dropConnection().then(commit(batch, taken, true));
                    }
                    if (isConnectionLost(e)) {
                        return dropConnection().then(Mono.fromRunnable(() -> failLost(taken, e, sent[0])));
                    }
                    return oneByOne(taken);
                });
    }

    /**
     * The commit bounded by the commit timeout. One watchdog check at a time is scheduled on the
     * timer, not one timer task per commit (a task scheduled and cancelled per commit wakes the
     * timer's thread twice per commit): when it runs it abandons the commit in flight if that has
     * taken the whole timeout, and otherwise checks again when the commit in flight would reach it.
     */
    private <T> Mono<T> watched(Mono<T> commit) {
        return Mono.defer(() -> {
            InFlight started = new InFlight(timer.now(TimeUnit.MILLISECONDS), Sinks.one());
            inFlight.set(started);
            watch(options.commitTimeout().toMillis());
            return commit.timeout(started.alarm.asMono()).doFinally(signal -> inFlight.compareAndSet(started, null));
        });
    }

    private void watch(long delayMillis) {
        if (watching.compareAndSet(false, true)) {
            try {
                timer.schedule(this::check, delayMillis, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                watching.set(false); // the timer is shut down: no bound rather than no commit
            }
        }
    }

    private void check() {
        watching.set(false);
        InFlight current = inFlight.get();
        if (current == null) {
            return; // idle: the next commit schedules the next check
        }
        long left = options.commitTimeout().toMillis() - (timer.now(TimeUnit.MILLISECONDS) - current.startedAt);
        if (left <= 0) {
            current.alarm.tryEmitValue(Boolean.TRUE);
        } else {
            watch(left);
        }
    }

    /**
     * Tells whether the driver refused to send because the connection was closed already: the
     * statement never left the client. r2dbc-postgresql says so only in its message.
     */
    private static boolean isClosedBeforeSending(Throwable error) {
        return error instanceof R2dbcNonTransientResourceException
                && error.getMessage() != null
                && error.getMessage().startsWith("Cannot exchange messages because the connection is closed");
    }

    /**
     * A commit of one single-stream append: the fast function, which answers every outcome itself.
     * An id that another store inserted after its check fails it with a unique violation; the batch
     * function, run then, finds it stored.
     */
    private Mono<List<Outcome>> lone(Connection c, List<StreamAppend> append, AppendBatch batch) {
        return Database.rows(c, loneAppend.sql(append.get(0)), AppendBatch.Row::of).collectList().map(batch::outcomes)
                .onErrorResume(Errors::isUniqueViolation, e -> call(c, batch));
    }

    private Mono<List<Outcome>> call(Connection c, AppendBatch batch) {
        return Database.rows(c, batch.sql(callText), AppendBatch.Row::of).collectList().map(batch::outcomes);
    }

    /** Reruns the appends of a failed batch one at a time, so that only the culprit fails. */
    private Mono<Void> oneByOne(List<Pending> taken) {
        return Flux.fromIterable(taken)
                .concatMap(pending -> heldConnection()
                        .flatMap(c -> call(c, AppendBatch.of(pending.append)))
                        // an id another store inserted after the check: a second run sees it stored
                        .retryWhen(Retry.max(1).filter(e -> !isConnectionLost(e)).onRetryExhaustedThrow((spec, signal) -> signal.failure()))
                        .transform(this::watched)
                        .doOnNext(outcomes -> answer(List.of(pending), outcomes))
                        .then()
                        .onErrorResume(e -> isConnectionLost(e)
                                ? dropConnection().then(Mono.fromRunnable(() -> failLost(List.of(pending), e, true)))
                                : Mono.fromRunnable(() -> failOne(pending, e))))
                .then();
    }

    /**
     * Answers each append of a commit. Failures go first: a writer that lost a conflict and retries
     * at once (with the actual version it was told) then queues ahead of the winner's next append,
     * instead of behind it. Answered in arrival order, the winner's next append would always come
     * first, and on a shared stream the same writer would lose every round.
     */
    private void answer(List<Pending> taken, List<Outcome> outcomes) {
        boolean wrote = false;
        for (int i = 0; i < taken.size(); i++) {
            Outcome outcome = outcomes.get(i);
            if (outcome.failure() != null) {
                taken.get(i).sink.error(outcome.failure());
            }
        }
        for (int i = 0; i < taken.size(); i++) {
            Outcome outcome = outcomes.get(i);
            wrote |= outcome.wrote();
            if (outcome.failure() == null) {
                taken.get(i).sink.success(outcome.results());
            }
        }
        if (wrote) {
            committed.run();
        }
    }

    private void failOne(Pending pending, Throwable error) {
        pending.sink.error(Errors.translate(error, names, "appending to " + streams(pending.append)));
    }

    /**
     * Fails the appends of a commit whose connection was lost. When the commit was never sent (no
     * connection could be had), the queue fails with it: the database is away, and waiting
     * appends would only time out one commit after another.
     */
    private void failLost(List<Pending> taken, Throwable error, boolean sent) {
        String what = sent
                ? "the connection was lost during the commit; each append of it is stored once or not at all: retry it with the same event ids"
                : "no connection to the database; nothing was stored";
        for (Pending pending : taken) {
            pending.sink.error(unavailable(error, what));
        }
        if (!sent) {
            List<Pending> queued = new ArrayList<>();
            synchronized (lock) {
                queued.addAll(queue);
                queue.clear();
                admitWaiting();
            }
            queued.forEach(p -> p.sink.error(unavailable(error, what)));
        }
    }

    private static StoreUnavailableException unavailable(Throwable error, String what) {
        return error instanceof TimeoutException
                ? new StoreUnavailableException("the commit did not answer in time: " + what, error)
                : new StoreUnavailableException(what + ": " + error.getMessage(), error);
    }

    private static boolean isConnectionLost(Throwable error) {
        return error instanceof TimeoutException || Errors.isConnectionFailure(error);
    }

    /**
     * The lane's connection: the one it holds while that is still open, or a new one. It is opened
     * outside the pool (like the LISTEN connection), so the pool's connections stay for reads.
     */
    private Mono<Connection> heldConnection() {
        Connection held = connection;
        if (held == null) {
            return Mono.<Connection>from(database.dedicatedConnections().create()).doOnNext(c -> connection = c);
        }
        return Mono.from(held.validate(ValidationDepth.LOCAL))
                .flatMap(open -> open ? Mono.just(held) : dropConnection().then(heldConnection()));
    }

    private Mono<Void> dropConnection() {
        Connection held = connection;
        connection = null;
        return held == null ? Mono.empty() : Database.discard(held);
    }

    private Mono<Void> releaseConnection() {
        Connection held = connection;
        connection = null;
        return held == null ? Mono.empty() : Mono.from(held.close()).onErrorResume(e -> Mono.empty());
    }

    private static StoreUnavailableException closedError() {
        return new StoreUnavailableException("the store is closed; nothing was stored", null);
    }

    private static String streams(List<StreamAppend> append) {
        return append.size() == 1 ? append.get(0).streamId().toString() : append.size() + " streams";
    }

    /** A commit in flight: when it started, and the alarm that abandons it. */
    private record InFlight(long startedAt, Sinks.One<Boolean> alarm) {}

    /** An append waiting for its commit. */
    private static final class Pending {
        final List<StreamAppend> append;
        final MonoSink<List<AppendResult>> sink;
        final long deadline;
        final int events;
        final long bytes;

        Pending(List<StreamAppend> append, MonoSink<List<AppendResult>> sink, long deadline) {
            this.append = append;
            this.sink = sink;
            this.deadline = deadline;
            this.events = AppendBatch.eventsOf(append);
            this.bytes = AppendBatch.bytesOf(append);
        }
    }
}
