package io.reactivees.r2dbc;

import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.contract.EventStoreContract;
import io.reactivees.core.contract.ForwardingEventStore;
import java.time.Duration;
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
        PostgresEventStore postgres = ((ReadsAfterTheHorizon) store).postgres;
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
    private static final class ReadsAfterTheHorizon extends ForwardingEventStore {
        final PostgresEventStore postgres;
        private final String settledSql;

        ReadsAfterTheHorizon(PostgresEventStore postgres) {
            super(postgres);
            this.postgres = postgres;
            this.settledSql = "SELECT pg_snapshot_xmin(pg_current_snapshot()) > coalesce(max(transaction_id), '0'::xid8) AS settled FROM "
                    + new SqlNames(postgres.options().schema()).table("events");
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
    }
}
