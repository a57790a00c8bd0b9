package io.reactivees.examples;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.contract.ForwardingEventStore;
import io.reactivees.r2dbc.PostgresEventStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.beans.factory.config.BeanPostProcessor;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A concurrent writer that always commits first, to make concurrency conflicts happen on demand.
 * Installed in the application as a bean post-processor, it wraps the application's
 * {@link EventStore} bean (the starter's); for a stream it is told to contend, every append the application makes
 * there (single or multi-stream) is preceded by one real deposit of 1 appended to that stream
 * through the real store, exactly as a rival request that won the race would. The application's
 * append then meets a real {@link io.reactivees.core.ConcurrencyConflictException} and retries under
 * its policy. Streams it is not told about pass through untouched.
 */
final class RivalWriter implements BeanPostProcessor {

    /** The rival's deposit: a real account event, so the account stays decodable. */
    static final long RIVAL_DEPOSIT = 1;

    private final Map<StreamId, AtomicInteger> racesLeft = new ConcurrentHashMap<>();
    private final Map<StreamId, AtomicInteger> racesWon = new ConcurrentHashMap<>();

    /** Contends {@code stream}: the next {@code times} appends to it are each preceded by a rival deposit. */
    void contend(StreamId stream, int times) {
        racesLeft.put(stream, new AtomicInteger(times));
        racesWon.put(stream, new AtomicInteger());
    }

    /** Stops contending {@code stream}; {@link #racesWon} still counts what it did. */
    void stop(StreamId stream) {
        racesLeft.remove(stream);
    }

    /** @return how many rival deposits were committed to {@code stream} since it was contended */
    int racesWon(StreamId stream) {
        AtomicInteger won = racesWon.get(stream);
        return won == null ? 0 : won.get();
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        // the EventStore the application injects (in memory, or the PostgreSQL store behind its migration), not the
        // PostgresEventStore itself, which the read model's transactional projection needs as it is
        return bean instanceof EventStore store && !(bean instanceof PostgresEventStore) ? new Store(store) : bean;
    }

    private boolean takeRace(StreamId stream) {
        AtomicInteger left = racesLeft.get(stream);
        return left != null && left.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    }

    private final class Store extends ForwardingEventStore {
        Store(EventStore delegate) {
            super(delegate);
        }

        private Mono<Void> race(List<StreamId> streams) {
            return Flux.fromIterable(streams)
                    .concatMap(stream -> Mono.defer(() -> takeRace(stream)
                            ? delegate.append(stream, ExpectedVersion.any(),
                                            List.of(EventData.of("account.deposited", "{\"amount\": " + RIVAL_DEPOSIT + "}")))
                                    .doOnSuccess(appended -> racesWon.get(stream).incrementAndGet())
                                    .then()
                            : Mono.empty()))
                    .then();
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
            Mono<AppendResult> append = delegate.append(stream, expected, events);
            return race(List.of(stream)).then(append);
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
            Mono<List<AppendResult>> append = delegate.appendAll(appends);
            return race(appends.stream().map(StreamAppend::streamId).toList()).then(append);
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
            Mono<AppendResult> append = delegate.append(stream, expected, events, condition);
            return race(List.of(stream)).then(append);
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
            Mono<List<AppendResult>> append = delegate.appendAll(appends, condition);
            return race(appends.stream().map(StreamAppend::streamId).toList()).then(append);
        }
    }
}
