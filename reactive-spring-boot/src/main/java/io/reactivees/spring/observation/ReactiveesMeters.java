package io.reactivees.spring.observation;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.r2dbc.FeedStatus;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * The gauges and counters of the store and its projections that are not observations:
 *
 * <ul>
 *   <li>{@code reactivees.projection.lag} (by projection): matching events after its checkpoint;
 *   <li>{@code reactivees.projection.running} (by projection): 1 while its run is going, else 0;
 *   <li>on PostgreSQL, {@code reactivees.feed.lag}: committed events the shared live feed has not
 *       read yet (its horizon lag; a long transaction anywhere in the cluster holds it back),
 *       {@code NaN} while no live subscription runs the feed;
 *       {@code reactivees.feed.subscriptions}: subscriptions on the shared feed; and the counter
 *       {@code reactivees.feed.fallbacks}: live subscriptions that fell behind their buffer and read
 *       pages of their own.
 * </ul>
 *
 * Lags cost a query each (a projection's counts the events after its checkpoint), so they are
 * refreshed every interval, one at a time, once {@code ready} completes, not when the gauge is
 * read; until the first refresh, or when a refresh fails, a lag gauge reads {@code NaN}.
 */
public final class ReactiveesMeters implements Disposable {

    private final Disposable refreshing;

    private ReactiveesMeters(Disposable refreshing) {
        this.refreshing = refreshing;
    }

    /**
     * Registers the meters and starts refreshing the lags.
     *
     * @param meters where the meters go
     * @param runners the projection runners
     * @param postgres the PostgreSQL store, or null for another store
     * @param ready completes when the store is ready; refreshing starts then
     * @param interval how often lags are refreshed
     * @param timeout how long one lag may take to count
     * @param scheduler where the refresh timer runs
     * @return the meters; dispose of them to stop refreshing
     * @throws NullPointerException if an argument other than {@code postgres} is null
     */
    public static ReactiveesMeters start(MeterRegistry meters, Collection<ProjectionRunner> runners, PostgresEventStore postgres,
                                         Mono<Void> ready, Duration interval, Duration timeout, Scheduler scheduler) {
        Objects.requireNonNull(meters, "meters must not be null");
        Objects.requireNonNull(runners, "runners must not be null");
        Objects.requireNonNull(ready, "ready must not be null");
        Objects.requireNonNull(interval, "interval must not be null");
        Objects.requireNonNull(timeout, "timeout must not be null");
        Objects.requireNonNull(scheduler, "scheduler must not be null");
        Map<ProjectionRunner, AtomicLong> lags = new LinkedHashMap<>();
        for (ProjectionRunner runner : runners) {
            AtomicLong lag = new AtomicLong(-1);
            lags.put(runner, lag);
            Gauge.builder("reactivees.projection.lag", lag, ReactiveesMeters::valueOf)
                    .description("Matching events after the projection's checkpoint")
                    .tag("projection", runner.name())
                    .register(meters);
            Gauge.builder("reactivees.projection.running", runner, r -> r.isRunning() ? 1 : 0)
                    .description("1 while the projection's run is going (running, waiting for its lease, backing off)")
                    .tag("projection", runner.name())
                    .register(meters);
        }
        AtomicLong feedLag = new AtomicLong(-1);
        if (postgres != null) {
            Gauge.builder("reactivees.feed.lag", feedLag, ReactiveesMeters::valueOf)
                    .description("Committed events the shared live feed has not read yet (its horizon lag)")
                    .register(meters);
            Gauge.builder("reactivees.feed.subscriptions", postgres, PostgresEventStore::liveSubscriptions)
                    .description("Subscriptions on the shared live feed")
                    .register(meters);
            FunctionCounter.builder("reactivees.feed.fallbacks", postgres, PostgresEventStore::subscriberFallbacks)
                    .description("Live subscriptions that fell behind their buffer and read pages of their own")
                    .register(meters);
        }
        Flux<Void> refreshes = Flux.fromIterable(lags.entrySet())
                .concatMap(entry -> refresh(entry.getKey().lag(), entry.getValue(), timeout))
                // the feed's status counts what it has not delivered: the whole log while it is idle, so not then
                .concatWith(postgres == null ? Mono.empty() : Mono.defer(() -> postgres.liveSubscriptions() > 0
                        ? refresh(postgres.feedStatus().map(FeedStatus::eventsBehind), feedLag, timeout)
                        : Mono.<Void>fromRunnable(() -> feedLag.set(-1))));
        Disposable refreshing = ready
                .thenMany(Flux.interval(Duration.ZERO, interval, scheduler))
                .onBackpressureDrop()
                .concatMap(tick -> refreshes.then(), 1)
                .subscribe();
        return new ReactiveesMeters(refreshing);
    }

    private static Mono<Void> refresh(Mono<Long> count, AtomicLong into, Duration timeout) {
        return count.timeout(timeout)
                .doOnNext(into::set)
                .onErrorResume(e -> {
                    into.set(-1);
                    return Mono.empty();
                })
                .then();
    }

    private static double valueOf(AtomicLong value) {
        long current = value.get();
        return current < 0 ? Double.NaN : current;
    }

    @Override
    public void dispose() {
        refreshing.dispose();
    }

    @Override
    public boolean isDisposed() {
        return refreshing.isDisposed();
    }
}
