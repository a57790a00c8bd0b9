package io.reactivees.examples;

import static io.reactivees.examples.BankApiContract.TIMEOUT;
import static io.reactivees.examples.BankApiContract.assertAccount;
import static io.reactivees.examples.BankApiContract.awaitValue;
import static io.reactivees.examples.BankApiContract.find;
import static io.reactivees.examples.BankApiContract.join;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.examples.bank.Accounts;
import io.reactivees.r2dbc.PostgresTestDatabase;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import tools.jackson.databind.JsonNode;

/**
 * Several instances of the application on one PostgreSQL schema, as replicas behind a load
 * balancer would run: they share the event log, each one's event stream carries what the others
 * commit, the read model is one table kept by one projection at a time (a lease), another replica
 * takes the projection over when its holder stops, and a restarted instance finds everything.
 */
class PostgresReplicasIT {

    private final String schema = PostgresTestDatabase.newSchema();
    private final Map<String, String> properties =
            Map.of("spring.r2dbc.url", PostgresTestDatabase.url(), "reactivees.schema", schema);

    @AfterEach
    void dropSchema() {
        PostgresTestDatabase.dropSchema(schema);
    }

    @Test
    void replicasShareTheLogTheLiveStreamAndTheReadModel() {
        UUID id;
        RunningBank first = RunningBank.start(properties);
        RunningBank second = null;
        try {
            second = RunningBank.start(properties);
            BankClient one = new BankClient(first.client);
            BankClient two = new BankClient(second.client);

            id = one.open("shared");
            two.deposit(id, 10);
            assertAccount(one.account(id), id, "shared", 10, 2);

            // the second replica's stream delivers, live, what the first commits
            String stream = Accounts.TYPE.streamId(id.toString()).toString();
            CompletableFuture<List<ServerSentEvent<JsonNode>>> live = second.client.get().uri("/events")
                    .accept(MediaType.TEXT_EVENT_STREAM)
                    .exchange().expectStatus().isOk()
                    .returnResult(BankApiContract.SSE).getResponseBody()
                    .filter(event -> event.data() != null) // not the heartbeats
                    .takeUntil(event -> stream.equals(event.data().get("stream").asString()) && event.data().get("version").asLong() == 3)
                    .timeout(TIMEOUT)
                    .collectList()
                    .toFuture();
            one.deposit(id, 5);
            assertEquals(List.of(1L, 2L, 3L), join(live).stream()
                    .filter(event -> stream.equals(event.data().get("stream").asString()))
                    .map(event -> event.data().get("version").asLong())
                    .toList());

            // one read model for both, every event applied once
            awaitSummary(one, id, 15, 3);
            assertAccount(find(two.accountList(), id), id, "shared", 15, 3);

            // whichever replica held the projection, the other carries on once the first stops
            RunningBank stopping = first;
            first = null;
            stopping.close();
            two.deposit(id, 1);
            awaitSummary(two, id, 16, 4);
        } finally {
            if (first != null) {
                first.close();
            }
            if (second != null) {
                second.close();
            }
        }

        // a new instance on the same schema finds the accounts and the read model as they were
        try (RunningBank restarted = RunningBank.start(properties)) {
            BankClient api = new BankClient(restarted.client);
            assertAccount(api.account(id), id, "shared", 16, 4);
            assertAccount(find(api.accountList(), id), id, "shared", 16, 4);
            api.withdraw(id, 6);
            awaitSummary(api, id, 10, 5);
        }
    }

    private static void awaitSummary(BankClient api, UUID id, long balance, long version) {
        awaitValue("the read model shows balance " + balance + " at version " + version, () -> {
            JsonNode summary = find(api.accountList(), id);
            return summary != null && summary.get("balance").asLong() == balance && summary.get("version").asLong() == version
                    ? summary : null;
        });
    }
}
