package io.reactivees.examples;

import static io.reactivees.examples.BankApiContract.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.net.ServerSocket;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/**
 * Given an R2DBC URL of a database that cannot be reached, the application still starts (the
 * migration runs in the background and is retried), and every request that needs the store answers
 * 503 with a problem detail instead of hanging or failing with a 500.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UnreachableDatabaseTest {

    private RunningBank bank;

    @BeforeAll
    void startBank() throws IOException {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        bank = RunningBank.start(Map.of("spring.r2dbc.url", "r2dbc:postgresql://postgres@127.0.0.1:" + closedPort + "/bank"));
    }

    @AfterAll
    void stopBank() {
        bank.close();
    }

    @Test
    void requestsThatNeedTheStoreAnswer503() {
        var client = bank.client;
        UUID id = UUID.randomUUID();
        List<JsonNode> problems = List.of(
                problem(client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("owner", "x")).exchange(),
                        503, "Store unavailable"),
                problem(client.get().uri("/accounts/{id}", id).exchange(), 503, "Store unavailable"),
                problem(client.get().uri("/accounts/{id}/events", id).exchange(), 503, "Store unavailable"),
                problem(client.post().uri("/accounts/{id}/deposits", id).contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("amount", 1)).exchange(), 503, "Store unavailable"),
                problem(client.get().uri("/accounts").exchange(), 503, "Store unavailable"),
                problem(client.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM).exchange(), 503, "Store unavailable"));
        for (JsonNode problem : problems) {
            assertEquals("The event store cannot be reached; try again later", problem.get("detail").asString(),
                    "no driver internals in the answer");
        }
    }

    @Test
    void malformedInputIsStill400() {
        JsonNode problem = problem(bank.client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue("{}").exchange(),
                400, "Invalid request");
        assertEquals("owner is required", problem.get("detail").asString(), "validated before the store is asked");
    }
}
