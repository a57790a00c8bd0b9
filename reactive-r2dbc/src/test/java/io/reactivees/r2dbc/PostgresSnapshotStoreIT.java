package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.ConnectionFactories;
import io.reactivees.core.EventStore;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateState;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.contract.ForwardingEventStore;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.core.snapshot.StoredSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@link PostgresSnapshotStore} beyond the contract: built on a plain connection factory, failures
 * translated like the event store's, and an aggregate repository on PostgreSQL using it.
 */
class PostgresSnapshotStoreIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final StreamId STREAM = StreamId.of("counter", "1");

    private final String schema = PostgresTestDatabase.newSchema();
    private final PostgresEventStore events = PostgresEventStore.builder(PostgresTestDatabase.connectionFactory())
            .options(PostgresEventStoreOptions.builder().schema(schema).poolSize(0, 8).build())
            .build();

    @AfterEach
    void dropSchema() {
        events.close().block(TIMEOUT);
        PostgresTestDatabase.dropSchema(schema);
    }

    private static StoredSnapshot snapshot(long version, String json) {
        return new StoredSnapshot(STREAM, "counter", version, 1, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aStoreOnAConnectionFactoryAndSchemaSharesTheEventStoresTable() {
        events.migrate().block(TIMEOUT);
        PostgresSnapshotStore onFactory = PostgresSnapshotStore.of(PostgresTestDatabase.connectionFactory(), schema);
        PostgresSnapshotStore onStore = PostgresSnapshotStore.of(events);

        onFactory.save(snapshot(3, "{\"b\": 2, \"a\": 1}")).block(TIMEOUT);
        assertEquals(3, onStore.load(STREAM, "counter").block(TIMEOUT).streamVersion());
        onStore.save(snapshot(5, "{\"n\": 5}")).block(TIMEOUT);
        StoredSnapshot loaded = onFactory.load(STREAM, "counter").block(TIMEOUT);
        assertEquals(5, loaded.streamVersion());
        assertEquals("{\"n\": 5}", loaded.dataAsString()); // jsonb's own text form
    }

    @Test
    void aSchemaNotMigratedFailsWithStoreConfigurationSayingToMigrate() {
        PostgresSnapshotStore store = PostgresSnapshotStore.of(PostgresTestDatabase.connectionFactory(), schema);
        store.load(STREAM, "counter")
                .as(StepVerifier::create)
                .expectErrorSatisfies(PostgresSnapshotStoreIT::saysToMigrate)
                .verify(TIMEOUT);
        store.save(snapshot(1, "{}"))
                .as(StepVerifier::create)
                .expectErrorSatisfies(PostgresSnapshotStoreIT::saysToMigrate)
                .verify(TIMEOUT);
    }

    private static void saysToMigrate(Throwable error) {
        assertInstanceOf(StoreConfigurationException.class, error);
        assertTrue(error.getMessage().contains("run PostgresEventStore.migrate()"), error.getMessage());
    }

    @Test
    void anUnreachableDatabaseFailsWithStoreUnavailableKeepingTheCause() {
        PostgresSnapshotStore store = PostgresSnapshotStore.of(
                ConnectionFactories.get("r2dbc:postgresql://postgres@127.0.0.1:1/nothing"), "app");
        store.load(STREAM, "counter")
                .as(StepVerifier::create)
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(StoreUnavailableException.class, e);
                    assertNotNull(e.getCause());
                })
                .verify(TIMEOUT);
    }

    @Test
    void badArgumentsFailAtCallTime() {
        assertThrows(NullPointerException.class, () -> PostgresSnapshotStore.of(null));
        assertThrows(NullPointerException.class, () -> PostgresSnapshotStore.of(null, "app"));
        assertThrows(NullPointerException.class, () -> PostgresSnapshotStore.of(PostgresTestDatabase.connectionFactory(), null));
        assertThrows(IllegalArgumentException.class, () -> PostgresSnapshotStore.of(PostgresTestDatabase.connectionFactory(), "Bad-Name"));
    }

    // ---------------------------------------------------------------- an aggregate on PostgreSQL

    @EventType("counter.added")
    record Added(long amount) {}

    record Counter(long total, long additions) {
        static final Counter ZERO = new Counter(0, 0);

        Counter apply(Added added) {
            return new Counter(total + added.amount(), additions + 1);
        }
    }

    @Test
    void anAggregateOnPostgresLoadsFromItsSnapshotAndTheTail() {
        events.migrate().block(TIMEOUT);
        AtomicLong read = new AtomicLong();
        EventStore counting = new CountingReads(events, read);
        EventSerializer serializer = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Added.class));
        AggregateType<Counter, Added> type = AggregateType.of("counter", Added.class, Counter.ZERO, Counter::apply);
        AggregateRepository<Counter, Added> counters = AggregateRepository.builder(counting, serializer, type)
                .snapshots(Snapshotter.builder(PostgresSnapshotStore.of(events), "counter", JsonMapper.builder().build(), Counter.class)
                        .policy(SnapshotPolicy.everyEvents(10))
                        .build())
                .build();

        counters.create("1", Command.of(c -> LongStream.rangeClosed(1, 25).mapToObj(Added::new).collect(Collectors.toList()))).block(TIMEOUT);
        counters.update("1", Command.of(c -> List.of(new Added(100)))).block(TIMEOUT);
        assertEquals(25, PostgresSnapshotStore.of(events).load(STREAM, "counter").block(TIMEOUT).streamVersion());
        read.set(0);

        AggregateState<Counter> loaded = counters.load("1").block(TIMEOUT);

        assertEquals(new Counter(25 * 26 / 2 + 100, 26), loaded.state());
        assertEquals(26, loaded.version());
        assertEquals(2, read.get()); // event 25 proves the snapshot, event 26 is applied
    }

    /** Counts what readStream emits; delegates everything. */
    private static final class CountingReads extends ForwardingEventStore {
        private final AtomicLong read;

        CountingReads(EventStore delegate, AtomicLong read) {
            super(delegate);
            this.read = read;
        }

        @Override
        public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
            return delegate.readStream(stream, options).doOnNext(e -> read.incrementAndGet());
        }
    }
}
