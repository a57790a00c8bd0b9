package io.reactivees.r2dbc;

import io.reactivees.core.projection.ProjectionLease.Held;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Scheduler;

/**
 * One subscription to a lease's {@code acquire}: tries the lease every {@code retryInterval} until
 * a try grants it, then hands it to the subscriber, or gives it up when the subscriber cancelled
 * meanwhile. A try in flight is never cut short: a cancel that comes while it runs takes effect when
 * it answers, so nothing done to undo it can overtake it on its connection, and a lease it got is
 * then released. A lease granted but dropped by a cancel that raced its delivery is released too.
 *
 * <p>What stays open is the subscriber's: a lease it received is its to release, even when it
 * cancelled at that moment ({@code usingWhen} does; a bare {@code subscribe(consumer)} disposed at
 * the instant of delivery may drop it, as it drops any value).
 */
final class LeaseAttempt {

    private final Supplier<Mono<Held>> tryOnce;
    private final Duration retryInterval;
    private final Scheduler scheduler;
    private final Function<Throwable, Throwable> translate;
    private final Runnable settled;
    private final MonoSink<Held> sink;

    private boolean cancelled; // guarded by this
    private boolean trying; // guarded by this: a try is in flight
    private boolean done; // guarded by this: settled has run
    private @Nullable Disposable waiting; // guarded by this: the delay before the next try
    private @Nullable Held handing; // guarded by this: the lease handed to the sink, released if the sink reports a cancel

    private LeaseAttempt(Supplier<Mono<Held>> tryOnce, Duration retryInterval, Scheduler scheduler,
            Function<Throwable, Throwable> translate, Runnable settled, MonoSink<Held> sink) {
        this.tryOnce = tryOnce;
        this.retryInterval = retryInterval;
        this.scheduler = scheduler;
        this.translate = translate;
        this.settled = settled;
        this.sink = sink;
    }

    /**
     * @param tryOnce one try: emits the lease when granted, completes empty when someone else holds
     *     it, fails when the lease cannot be checked; it is never cancelled
     * @param retryInterval the wait between tries
     * @param scheduler where the wait is timed
     * @param translate maps a try's failure to the error the subscriber gets
     * @param started runs when a subscription starts
     * @param settled runs once when it has settled: handed the lease over, failed, or cancelled with no
     *     try in flight
     * @return a cold {@code Mono} that emits the lease once a try grants it, or fails with a try's
     *     translated failure
     */
    static Mono<Held> acquire(Supplier<Mono<Held>> tryOnce, Duration retryInterval, Scheduler scheduler,
            Function<Throwable, Throwable> translate, Runnable started, Runnable settled) {
        return Mono.create(sink -> {
            started.run();
            LeaseAttempt attempt = new LeaseAttempt(tryOnce, retryInterval, scheduler, translate, settled, sink);
            sink.onCancel(attempt::cancel);
            attempt.next();
        });
    }

    /** Tries once, unless cancelled. */
    private void next() {
        boolean go;
        synchronized (this) {
            waiting = null;
            go = trying = !cancelled;
        }
        if (!go) {
            settle();
            return;
        }
        // Never disposed: a cancel waits for the answer.
        Mono.defer(tryOnce).map(Optional::of).defaultIfEmpty(Optional.empty())
                .subscribe(granted -> answered(granted.orElse(null)), this::failed);
    }

    private void answered(@Nullable Held granted) {
        boolean giveUp;
        synchronized (this) {
            trying = false;
            giveUp = cancelled;
            if (!giveUp && granted != null) {
                handing = granted;
            } else if (!giveUp) {
                waiting = Mono.delay(retryInterval, scheduler).subscribe(tick -> next());
            }
        }
        if (giveUp) {
            if (granted != null) {
                granted.release().subscribe();
            }
            settle();
        } else if (granted != null) {
            // A cancel that wins the race inside the sink drops the lease there and only then calls
            // cancel(), which releases it: so it stays in handing (once delivered, the sink calls cancel() no more).
            sink.success(granted);
            settle();
        }
    }

    private void failed(Throwable error) {
        boolean report;
        synchronized (this) {
            trying = false;
            report = !cancelled;
        }
        if (report) {
            sink.error(translate.apply(error));
        }
        settle();
    }

    /** The subscriber cancelled: stop waiting, or release the lease the sink dropped; a try in flight settles when it answers. */
    private void cancel() {
        Disposable delay;
        Held dropped;
        boolean idle;
        synchronized (this) {
            cancelled = true;
            delay = waiting;
            waiting = null;
            dropped = handing;
            handing = null;
            idle = !trying;
        }
        if (delay != null) {
            delay.dispose();
        }
        if (dropped != null) {
            dropped.release().subscribe();
        }
        if (idle) {
            settle();
        }
    }

    private void settle() {
        synchronized (this) {
            if (done) {
                return;
            }
            done = true;
        }
        settled.run();
    }
}
