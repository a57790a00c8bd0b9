package io.reactivees.r2dbc;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.contract.EventStoreContract;
import java.time.Duration;
import java.util.List;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Runs the whole store contract against {@link PostgresEventStore} on a real PostgreSQL. */
class PostgresEventStoreContractIT extends EventStoreContract {

    @Override
    protected EventStore createStore() {
        String schema = PostgresTestDatabase.newSchema();
        PostgresEventStore store = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
                .options(PostgresEventStoreOptions.builder()
                        .schema(schema)
                        .pageSize(64)
                        .pollInterval(Duration.ofMillis(200))
                        .poolSize(0, 20)
                        .build())
                .build();
        store.migrate().block(TIMEOUT);
        return new ReadsAfterTheHorizon(store);
    }

    @Override
    protected void disposeStore(EventStore store) {
        PostgresEventStore postgres = ((ReadsAfterTheHorizon) store).delegate;
        postgres.close().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(postgres.options().schema());
    }

    /**
     * The store under test, whose {@code load} first waits until the read horizon has passed every
     * event stored in its schema. The horizon is cluster-wide: on a server shared with other test
     * runs, any transaction left open elsewhere holds back every load, and the contract's
     * read-after-write checks would fail for a reason that is not the store's. Everything else,
     * including call-time argument checks and the returned {@code Flux} itself, is the store's own.
     */
    private static final class ReadsAfterTheHorizon implements EventStore {
        final PostgresEventStore delegate;
        private final String settledSql;

        ReadsAfterTheHorizon(PostgresEventStore delegate) {
            this.delegate = delegate;
            this.settledSql = "SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce(max(transaction_id), '0'::xid8) AS settled FROM "
                    + new SqlNames(delegate.options().schema()).table("events");
        }

        private Mono<Void> settled() {
            return Flux.interval(Duration.ZERO, Duration.ofMillis(20))
                    .onBackpressureDrop()
                    .concatMap(tick -> PgTestSupport.queryAsync(settledSql).map(rows -> (Boolean) rows.get(0).get("settled")), 1)
                    .filter(Boolean::booleanValue)
                    .next()
                    .timeout(TIMEOUT)
                    .then();
        }

        @Override
        public Flux<RecordedEvent> load(EventQuery query) {
            Flux<RecordedEvent> load = delegate.load(query);
            return settled().thenMany(load);
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
            return delegate.append(stream, expected, events);
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
            return delegate.appendAll(appends);
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
            return delegate.append(stream, expected, events, condition);
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
            return delegate.appendAll(appends, condition);
        }

        @Override
        public Mono<Long> streamVersion(StreamId stream) {
            return delegate.streamVersion(stream);
        }

        @Override
        public Mono<RecordedEvent> readEvent(java.util.UUID eventId) {
            return delegate.readEvent(eventId);
        }

        @Override
        public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
            return delegate.readStream(stream, options);
        }

        @Override
        public Flux<RecordedEvent> subscribe(EventQuery query) {
            return delegate.subscribe(query);
        }
    }
}
