package io.reactivees.examples;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import tools.jackson.databind.JsonNode;

/** The bank's API as plain calls that expect success, for tests to set up and look. */
record BankClient(WebTestClient client) {

    UUID open(String owner) {
        JsonNode account = client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("owner", owner))
                .exchange()
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        return UUID.fromString(account.get("id").asString());
    }

    JsonNode deposit(UUID id, long amount) {
        return command(id, "deposits", amount);
    }

    JsonNode withdraw(UUID id, long amount) {
        return command(id, "withdrawals", amount);
    }

    private JsonNode command(UUID id, String kind, long amount) {
        return client.post().uri("/accounts/{id}/" + kind, id).contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("amount", amount))
                .exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
    }

    JsonNode account(UUID id) {
        return client.get().uri("/accounts/{id}", id).exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
    }

    List<JsonNode> events(UUID id) {
        JsonNode events = client.get().uri("/accounts/{id}/events", id).exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        return List.copyOf(events.values());
    }

    List<JsonNode> accountList() {
        JsonNode all = client.get().uri("/accounts").exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        return List.copyOf(all.values());
    }
}
