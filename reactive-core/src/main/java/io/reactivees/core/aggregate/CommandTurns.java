package io.reactivees.core.aggregate;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.util.context.Context;

/**
 * Runs the work submitted for one key one at a time, in the order it was submitted, and hands each
 * piece of work what the one before it left (its hand-over), so that it need not read it again.
 *
 * <p>{@link AggregateRepository} runs the commands on one aggregate through this: commands of one
 * process on one aggregate then never conflict with each other (conflicts come only from other
 * processes or other repositories), and they take turns in arrival order, so none waits for ever
 * behind a luckier one. A key's line exists only while work for it is running or waiting: memory is
 * bounded by the work in flight.
 *
 * <p>Work cancelled while it waits leaves the line; work cancelled while it runs is cancelled and
 * gives the turn to the next. Work that submits work for a key it already holds (found in the
 * Reactor context) runs that at once, outside the line, instead of waiting for itself. Lines are
 * drained in a loop, not by recursion: a long line of work that completes synchronously does not
 * grow the stack. Nothing here blocks: the lock guards a few field updates only.
 *
 * @param <K> the key type
 * @param <H> the hand-over type
 */
final class CommandTurns<K, H> {

    /** The Reactor context entry that holds the keys whose turn the current work has. */
    private final Object heldKeys = new Object();
    private final Map<K, Line<K, H>> lines = new HashMap<>(); // guarded by itself

    /**
     * Runs {@code work} in {@code key}'s turn.
     *
     * @param key the key
     * @param work the work, given the hand-over of the work before it in the line, or null when it
     *     is the first in the line (or that work failed or left none)
     * @param handOver what a result leaves for the next work in the line; null for nothing
     * @return a cold {@code Mono} of the work's result, which waits for the turn on subscription
     */
    <R> Mono<R> inTurn(K key, Function<@Nullable H, Mono<R>> work, Function<R, @Nullable H> handOver) {
        Objects.requireNonNull(key, "key must not be null");
        return Mono.deferContextual(context -> {
            Set<K> held = context.getOrDefault(heldKeys, Set.of());
            if (held.contains(key)) {
                return work.apply(null);
            }
            Set<K> holding = new HashSet<>(held);
            holding.add(key);
            return Mono.<R>create(sink -> enqueue(new Ticket<>(this, key, work, handOver, sink, Set.copyOf(holding))));
        });
    }

    /** @return the number of keys with work running or waiting (for tests) */
    int activeKeys() {
        synchronized (lines) {
            return lines.size();
        }
    }

    private void enqueue(Ticket<K, H, ?> ticket) {
        ticket.sink.onCancel(ticket::cancel);
        Line<K, H> line;
        synchronized (lines) {
            if (ticket.done) { // cancelled at once
                return;
            }
            line = lines.computeIfAbsent(ticket.key, Line::new);
            line.waiting.add(ticket);
            ticket.line = line;
        }
        drain(line);
    }

    /** Ends the running work's turn, leaving {@code handOver} for the next one. */
    private void release(Line<K, H> line, @Nullable H handOver) {
        synchronized (lines) {
            line.busy = false;
            line.handOver = handOver;
        }
        drain(line);
    }

    /**
     * Starts the next work of an idle line, and again while work completes synchronously; removes a
     * line that is idle and empty. One thread drains a line at a time: a release or an enqueue
     * during a drain is seen by that drain's next pass, since every check and change of a line and
     * of its tickets happens under the one lock.
     */
    private void drain(Line<K, H> line) {
        synchronized (lines) {
            if (line.draining) {
                return;
            }
            line.draining = true;
        }
        for (;;) {
            Ticket<K, H, ?> next;
            @Nullable H handOver;
            synchronized (lines) {
                next = line.busy ? null : line.waiting.poll();
                if (next == null) {
                    if (!line.busy) {
                        lines.remove(line.key, line);
                    }
                    line.draining = false;
                    return;
                }
                line.busy = true;
                handOver = line.handOver;
                line.handOver = null;
                next.running = true;
            }
            next.start(handOver);
        }
    }

    /** A key's line: the work waiting, whether one runs, and what the last one left. */
    private static final class Line<K, H> {
        final K key;
        final ArrayDeque<Ticket<K, H, ?>> waiting = new ArrayDeque<>();
        boolean busy;
        boolean draining;
        @Nullable H handOver;

        Line(K key) {
            this.key = key;
        }
    }

    /**
     * One submitted piece of work: waiting in its line, then running, then done. Its state is
     * guarded by the turns' lock, like the lines.
     */
    private static final class Ticket<K, H, R> implements CoreSubscriber<R> {
        final CommandTurns<K, H> turns;
        final K key;
        final Function<@Nullable H, Mono<R>> work;
        final Function<R, @Nullable H> handOver;
        final MonoSink<R> sink;
        final Context context;
        @Nullable Line<K, H> line;
        boolean running;
        boolean done;
        private @Nullable Subscription upstream;
        private @Nullable R value; // written and read on the work's signals, which are serial

        Ticket(CommandTurns<K, H> turns, K key, Function<@Nullable H, Mono<R>> work, Function<R, @Nullable H> handOver, MonoSink<R> sink,
               Set<K> holding) {
            this.turns = turns;
            this.key = key;
            this.work = work;
            this.handOver = handOver;
            this.sink = sink;
            this.context = Context.of(sink.contextView()).put(turns.heldKeys, holding);
        }

        void start(@Nullable H handed) {
            synchronized (turns.lines) {
                if (done) { // cancelled since it was given the turn; the cancel released it
                    return;
                }
            }
            Mono<R> mono;
            try {
                mono = Objects.requireNonNull(work.apply(handed), "the work returned null");
            } catch (Throwable e) {
                mono = Mono.error(e);
            }
            mono.subscribe(this);
        }

        @Override
        public Context currentContext() {
            return context;
        }

        @Override
        public void onSubscribe(Subscription s) {
            boolean cancelled;
            synchronized (turns.lines) {
                cancelled = done;
                upstream = s;
            }
            if (cancelled) {
                s.cancel();
            } else {
                s.request(Long.MAX_VALUE);
            }
        }

        @Override
        public void onNext(R r) {
            value = r;
        }

        @Override
        public void onError(Throwable e) {
            if (markDone()) {
                try {
                    sink.error(e);
                } finally {
                    turns.release(line, null);
                }
            }
        }

        @Override
        public void onComplete() {
            R result = value;
            @Nullable H left;
            try {
                left = result == null ? null : handOver.apply(result);
            } catch (Throwable e) {
                onError(e);
                return;
            }
            if (markDone()) {
                try {
                    sink.success(result);
                } finally {
                    turns.release(line, left);
                }
            }
        }

        /**
         * Marks this work done; false when it was done (cancelled) already. Its caller is answered
         * before the turn passes on: a caller that submits its next work for the key at once joins
         * the end of the line.
         */
        private boolean markDone() {
            synchronized (turns.lines) {
                if (done) {
                    return false;
                }
                done = true;
                return true;
            }
        }

        /** The caller cancelled: leave the line, or stop the running work and give the turn on. */
        void cancel() {
            boolean wasRunning;
            Subscription s;
            synchronized (turns.lines) {
                if (done) {
                    return;
                }
                done = true;
                if (line == null) { // not enqueued yet: enqueue sees done
                    return;
                }
                wasRunning = running;
                s = upstream;
                if (!wasRunning) {
                    line.waiting.remove(this);
                }
            }
            if (!wasRunning) {
                turns.drain(line);
                return;
            }
            if (s != null) {
                s.cancel();
            }
            turns.release(line, null);
        }
    }
}
