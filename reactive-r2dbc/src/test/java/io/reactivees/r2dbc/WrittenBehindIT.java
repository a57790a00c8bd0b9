package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.r2dbc.spi.Connection;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.RerunTransactionException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The case only the streams' {@code last_tx} stamp catches: an append through a caller's
 * transaction that got its id before another commit wrote to the stream would land behind that
 * commit in the global order. It fails with {@link RerunTransactionException} and writes nothing;
 * the store's own appends take their locks before their first write and never meet this.
 */
class WrittenBehindIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final StreamId STREAM = StreamId.of("acct", "x");

    private PgTestSupport.StoreOnSchema on;
    private PostgresEventStore store;

    @BeforeEach
    void freshStore() {
        on = PgTestSupport.newStore(options -> options.poolSize(0, 4));
        store = on.store;
    }

    @AfterEach
    void dropStore() {
        on.close();
    }

    @Test
    void anAppendInAnOlderTransactionThanTheStreamsLastCommitFailsAndWritesNothing() {
        store.append(STREAM, ExpectedVersion.noStream(), List.of(EventData.of("a", "{}"))).block(TIMEOUT);
        Mono<Void> scenario = Mono.usingWhen(Mono.from(PostgresTestDatabase.connectionFactory().create()),
                (Connection older) -> Mono.from(older.beginTransaction())
                        // this transaction gets its id now...
                        .then(Flux.from(older.createStatement("SELECT pg_current_xact_id()::text AS x").execute())
                                .concatMap(r -> r.map((row, m) -> row.get("x", String.class))).then())
                        // ...then a newer one appends to the stream and commits...
                        .then(store.append(STREAM, ExpectedVersion.any(), List.of(EventData.of("b", "{}"))))
                        // ...so appending after it from the older transaction would break version order.
                        .then(store.appendInTransaction(older, List.of(StreamAppend.of(STREAM, ExpectedVersion.any(), List.of(EventData.of("c", "{}"))))))
                        .then(),
                Connection::close,
                (older, error) -> Mono.from(older.rollbackTransaction()).then(Mono.from(older.close())),
                Connection::close);

        StepVerifier.create(scenario)
                .expectErrorSatisfies(e -> {
                    assertInstanceOf(RerunTransactionException.class, e);
                    assertTrue(Errors.isWrittenBehind(e.getCause()), e.toString());
                })
                .verify(TIMEOUT);
        List<RecordedEvent> events = store.readStream(STREAM).collectList().block(TIMEOUT);
        assertEquals(List.of("a", "b"), events.stream().map(RecordedEvent::type).toList());
        assertEquals(2L, store.streamVersion(STREAM).block(TIMEOUT));

        // The store's own append, in a fresh transaction, goes through.
        store.append(STREAM, ExpectedVersion.any(), List.of(EventData.of("c", "{}"))).block(TIMEOUT);
        assertEquals(List.of("a", "b", "c"), store.readStream(STREAM).map(RecordedEvent::type).collectList().block(TIMEOUT));
    }
}
