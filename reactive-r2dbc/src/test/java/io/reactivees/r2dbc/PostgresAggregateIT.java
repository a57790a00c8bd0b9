package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventQuery;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import tools.jackson.databind.json.JsonMapper;

/** Commands racing on one aggregate on a real PostgreSQL: every one applied exactly once. */
class PostgresAggregateIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    @EventType("counter.added")
    record Added(long amount, int command) {}

    private static final AggregateType<Long, Added> COUNTER = AggregateType.of("counter", Added.class, 0L, (total, added) -> total + added.amount());
    private static final EventSerializer SERIALIZER = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Added.class));

    private PgTestSupport.StoreOnSchema on;
    private PostgresEventStore store;

    @BeforeEach
    void freshStore() {
        on = PgTestSupport.newStore(options -> options.poolSize(0, 16));
        store = on.store;
    }

    @AfterEach
    void dropStore() {
        on.close();
    }

    @Test
    void thirtyTwoConcurrentCommandsOnOneAggregateEachApplyExactlyOnce() {
        int maxAttempts = 64;
        AggregateRepository<Long, Added> counters = AggregateRepository.builder(store, SERIALIZER, COUNTER)
                .retryPolicy(new RetryPolicy(maxAttempts, Duration.ofMillis(2), Duration.ofMillis(100), 1.0))
                .build();
        List<CommandResult<Long, Added>> results = Flux.range(1, 32)
                .flatMap(i -> counters.execute("shared", Command.of(total -> List.of(new Added(i, i)))), 32)
                .collectList()
                .block(TIMEOUT);

        assertEquals(32, results.size());
        assertEquals(32L * 33 / 2, counters.load("shared").block(TIMEOUT).state());
        assertEquals(32L, counters.load("shared").block(TIMEOUT).version());
        assertTrue(results.stream().allMatch(r -> r.attempts() >= 1 && r.attempts() <= maxAttempts));
        assertTrue(results.stream().anyMatch(r -> r.attempts() > 1), "32 racing commands should have met conflicts");

        JsonMapper json = JsonMapper.builder().build();
        List<RecordedEvent> stored = store.load(EventQuery.all()).collectList().block(TIMEOUT);
        Set<Integer> commands = stored.stream().map(e -> json.readTree(e.data()).get("command").asInt()).collect(Collectors.toSet());
        assertEquals(32, stored.size(), "one event per command, none twice");
        assertEquals(32, commands.size());
        // Each result's version is where its event landed.
        Set<Long> versions = results.stream().map(CommandResult::version).collect(Collectors.toSet());
        assertEquals(32, versions.size());
    }
}
