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
import java.util.Comparator;
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
    void thirtyTwoRacingCommandsOnOneAggregateEachApplyExactlyOnce() {
        int maxAttempts = 64;
        AggregateRepository<Long, Added> counters = AggregateRepository.builder(store, SERIALIZER, COUNTER)
                .retryPolicy(new RetryPolicy(maxAttempts, Duration.ofMillis(2), Duration.ofMillis(100), 1.0))
                .serializeCommandsPerAggregate(false)
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

    @Test
    void commandsInTurnFromTwoRepositoriesEachApplyExactlyOnceInTurnOrder() {
        // Two repositories on one store stand for two processes: each runs its own commands on the
        // aggregate in turn, and the two race each other through the store's version check.
        RetryPolicy patient = new RetryPolicy(64, Duration.ofMillis(1), Duration.ofMillis(20), 1.0);
        AggregateRepository<Long, Added> one = AggregateRepository.builder(store, SERIALIZER, COUNTER).retryPolicy(patient).build();
        AggregateRepository<Long, Added> two = AggregateRepository.builder(store, SERIALIZER, COUNTER).retryPolicy(patient).build();
        List<CommandResult<Long, Added>> results = Flux.range(1, 64)
                .flatMap(i -> (i % 2 == 0 ? one : two).execute("shared", Command.of(total -> List.of(new Added(i, i)))), 64)
                .collectList()
                .block(TIMEOUT);

        assertEquals(64, results.size());
        assertEquals(64L * 65 / 2, one.load("shared").block(TIMEOUT).state());
        List<RecordedEvent> stored = store.load(EventQuery.all()).collectList().block(TIMEOUT);
        JsonMapper json = JsonMapper.builder().build();
        assertEquals(64, stored.size(), "one event per command, none twice");
        assertEquals(64, stored.stream().map(e -> json.readTree(e.data()).get("command").asInt()).distinct().count());
        assertEquals(64, results.stream().map(CommandResult::version).distinct().count(), "each result's version is its own");
        // Each repository's commands took their turns in the order they were submitted.
        for (int parity = 0; parity < 2; parity++) {
            int side = parity;
            List<Long> versions = results.stream()
                    .filter(r -> r.events().get(0).command() % 2 == side)
                    .sorted(Comparator.comparingInt(r -> r.events().get(0).command()))
                    .map(CommandResult::version)
                    .toList();
            for (int i = 1; i < versions.size(); i++) {
                assertTrue(versions.get(i - 1) < versions.get(i), "repository " + side + " out of turn: " + versions);
            }
        }
    }
}
