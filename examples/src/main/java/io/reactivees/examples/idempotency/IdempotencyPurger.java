package io.reactivees.examples.idempotency;

import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;

/**
 * Deletes expired idempotency records every interval while the application runs. An expired record
 * is ignored by a claim anyway; purging keeps the records from growing without bound.
 */
public final class IdempotencyPurger implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(IdempotencyPurger.class);

    private final IdempotencyRecords records;
    private final Duration interval;
    private final Scheduler timer;
    private volatile Disposable running;

    /**
     * @param records the records to purge
     * @param interval how often
     * @param timer where the interval is timed
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code interval} is not positive
     */
    public IdempotencyPurger(IdempotencyRecords records, Duration interval, Scheduler timer) {
        this.records = Objects.requireNonNull(records, "records must not be null");
        this.interval = InMemoryIdempotencyRecords.requirePositive(interval, "interval");
        this.timer = Objects.requireNonNull(timer, "timer must not be null");
    }

    @Override
    public void start() {
        running = Flux.interval(interval, interval, timer)
                .onBackpressureDrop()
                .concatMap(tick -> records.purgeExpired()
                        .doOnNext(purged -> {
                            if (purged > 0) {
                                LOG.debug("Purged {} expired idempotency records", purged);
                            }
                        })
                        .onErrorResume(e -> {
                            LOG.warn("Could not purge expired idempotency records; trying again in {}: {}", interval, e.toString());
                            return Mono.empty();
                        }), 1)
                .subscribe();
    }

    @Override
    public void stop() {
        Disposable now = running;
        if (now != null) {
            now.dispose();
        }
        running = null;
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }
}
