package io.reactivees.examples;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.Position;
import io.reactivees.core.StreamId;
import io.reactivees.examples.bank.Accounts;
import io.reactivees.examples.idempotency.Claim;
import io.reactivees.examples.idempotency.IdempotencyRecords;
import io.reactivees.examples.web.IdempotencyKeyFilter;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpMethod;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.test.web.reactive.server.WebTestClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * The bank's HTTP API, end to end: the real application on a random port, driven over HTTP with
 * {@link WebTestClient}. Each store's test class extends this and says which store to boot; the
 * whole suite runs against each. Tests share one application per class and never assume it is
 * empty: each opens accounts of its own and looks only at those.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class BankApiContract {

    static final Duration TIMEOUT = RunningBank.TIMEOUT;
    static final String CORRELATION = "X-Correlation-Id";
    static final Duration HEARTBEAT_INTERVAL = Duration.ofMillis(300);
    static final ParameterizedTypeReference<ServerSentEvent<JsonNode>> SSE = new ParameterizedTypeReference<>() {};

    RunningBank bank;
    WebTestClient client;
    BankClient api;

    /** The properties that choose and configure the store. */
    protected abstract Map<String, String> storeProperties();

    /** Runs after the application has stopped, e.g. to drop the test's schema. */
    protected void afterBankStopped() {}

    @BeforeAll
    void startBank() {
        Map<String, String> properties = new HashMap<>(storeProperties());
        // often, so that the stream tests see heartbeats between their events (and skip them)
        properties.put("bank.events.heartbeat-interval", HEARTBEAT_INTERVAL.toMillis() + "ms");
        bank = RunningBank.start(properties);
        client = bank.client;
        api = new BankClient(client);
    }

    @AfterAll
    void stopBank() {
        try {
            if (bank != null) {
                bank.close();
            }
        } finally {
            afterBankStopped();
        }
    }

    @Test
    void theRootAnswersAPageThatListsTheApi() {
        String page = client.get().uri("/").accept(MediaType.TEXT_HTML)
                .exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_HTML)
                .expectBody(String.class).returnResult().getResponseBody();
        for (String route : List.of("POST /accounts", "POST /transfers", "GET /accounts", "GET /events", "Idempotency-Key")) {
            org.junit.jupiter.api.Assertions.assertTrue(page.contains(route), route + " in " + page);
        }
    }

    @Nested
    class Accounts_ {

        @Test
        void openingAnAccountAnswers201WithTheAccountAndItsLocation() {
            var response = client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("owner", "alice"))
                    .exchange()
                    .expectStatus().isCreated()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                    .expectBody(JsonNode.class).returnResult();
            JsonNode account = response.getResponseBody();
            UUID id = UUID.fromString(account.get("id").asString());
            assertEquals("/accounts/" + id, response.getResponseHeaders().getLocation().toString());
            assertAccount(account, id, "alice", 0, 1);
            assertEquals(Set.of("id", "owner", "balance", "version"), fieldNames(account));
            assertAccount(account(id), id, "alice", 0, 1);
        }

        @Test
        void depositsAndWithdrawalsAnswerTheNewState() {
            UUID id = open("bob");
            assertAccount(deposit(id, 100), id, "bob", 100, 2);
            assertAccount(withdraw(id, 30), id, "bob", 70, 3);
            assertAccount(deposit(id, 5), id, "bob", 75, 4);
            assertAccount(account(id), id, "bob", 75, 4);
        }

        @Test
        void anAccountsEventsComeOldestFirstWithTypesPayloadsAndPositions() {
            UUID id = open("carol");
            deposit(id, 100);
            withdraw(id, 40);
            List<JsonNode> events = events(id);
            assertEquals(List.of("account.opened", "account.deposited", "account.withdrawn"),
                    events.stream().map(e -> e.get("type").asString()).toList());
            assertEquals(List.of(1L, 2L, 3L), events.stream().map(e -> e.get("version").asLong()).toList());
            assertEquals("carol", events.get(0).get("data").get("owner").asString());
            assertEquals(100, events.get(1).get("data").get("amount").asLong());
            assertEquals(40, events.get(2).get("data").get("amount").asLong());
            for (JsonNode event : events) {
                assertEquals(Accounts.TYPE.streamId(id.toString()).toString(), event.get("stream").asString());
                assertNotNull(UUID.fromString(event.get("eventId").asString()));
                assertNotNull(Instant.parse(event.get("recordedAt").asString()));
            }
            assertStrictlyIncreasing(events.stream().map(e -> Position.parse(e.get("position").asString())).toList());
        }

        @Test
        void theAccountListIsAReadModelThatCatchesUpWithEveryAccount() {
            UUID zed = open("zed " + UUID.randomUUID());
            UUID amy = open("amy " + UUID.randomUUID());
            deposit(zed, 10);
            deposit(amy, 20);
            withdraw(amy, 5);
            List<JsonNode> listed = awaitValue("the read model lists both accounts with their balances", () -> {
                List<JsonNode> all = accountList();
                JsonNode z = find(all, zed);
                JsonNode a = find(all, amy);
                return z != null && z.get("version").asLong() == 2 && a != null && a.get("version").asLong() == 3 ? all : null;
            });
            assertAccount(find(listed, zed), zed, null, 10, 2);
            assertAccount(find(listed, amy), amy, null, 15, 3);
            assertTrue(listed.indexOf(find(listed, amy)) < listed.indexOf(find(listed, zed)), "ordered by owner");
            for (JsonNode summary : listed) {
                assertEquals(Set.of("id", "owner", "balance", "version"), fieldNames(summary));
            }
        }
    }

    @Nested
    class Transfers {

        @Test
        void aTransferMovesMoneyInOneAtomicCommit() {
            UUID from = open("payer");
            UUID to = open("payee");
            deposit(from, 100);
            JsonNode transfer = client.post().uri("/transfers").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("from", from.toString(), "to", to.toString(), "amount", 40))
                    .exchange()
                    .expectStatus().isOk()
                    .expectBody(JsonNode.class).returnResult().getResponseBody();
            assertEquals(40, transfer.get("amount").asLong());
            assertAccount(transfer.get("from"), from, "payer", 60, 3);
            assertAccount(transfer.get("to"), to, "payee", 40, 2);
            assertAccount(account(from), from, "payer", 60, 3);
            assertAccount(account(to), to, "payee", 40, 2);

            JsonNode sent = last(events(from));
            JsonNode received = last(events(to));
            assertEquals("account.transfer-sent", sent.get("type").asString());
            assertEquals("account.transfer-received", received.get("type").asString());
            String transferId = transfer.get("id").asString();
            assertEquals(transferId, sent.get("data").get("transferId").asString());
            assertEquals(transferId, received.get("data").get("transferId").asString());
            assertEquals(to.toString(), sent.get("data").get("to").asString());
            assertEquals(from.toString(), received.get("data").get("from").asString());
            // one commit: both events share the commit part of their positions
            assertEquals(Position.parse(sent.get("position").asString()).commit(),
                    Position.parse(received.get("position").asString()).commit());
        }

        @Test
        void aTransferThatWouldOverdrawAnswers422AndChangesNeitherAccount() {
            UUID from = open("short");
            UUID to = open("hopeful");
            deposit(from, 30);
            deposit(to, 7);
            Snapshot before = Snapshot.of(BankApiContract.this, from, to);
            JsonNode problem = problem(transfer(from, to, 31), 422, "Insufficient funds");
            assertEquals(from.toString(), problem.get("accountId").asString());
            assertEquals(30, problem.get("balance").asLong());
            assertEquals(31, problem.get("amount").asLong());
            assertEquals(before, Snapshot.of(BankApiContract.this, from, to));
        }

        @Test
        void aTransferThatWouldOverflowTheReceiverAnswers422AndChangesNeitherAccount() {
            UUID from = open("rich");
            UUID to = open("richer");
            deposit(from, 10);
            deposit(to, Long.MAX_VALUE - 5);
            Snapshot before = Snapshot.of(BankApiContract.this, from, to);
            JsonNode problem = problem(transfer(from, to, 6), 422, "Balance limit exceeded");
            assertEquals(to.toString(), problem.get("accountId").asString());
            assertEquals(before, Snapshot.of(BankApiContract.this, from, to));
            assertAccount(transfer(from, to, 5).expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody()
                    .get("to"), to, "richer", Long.MAX_VALUE, 3);
        }

        @Test
        void aTransferWithAnUnknownAccountAnswers404AndChangesNothing() {
            UUID known = open("known");
            deposit(known, 50);
            UUID unknown = UUID.randomUUID();
            Snapshot before = Snapshot.of(BankApiContract.this, known);
            assertEquals(unknown.toString(), problem(transfer(known, unknown, 10), 404, "Account not found").get("accountId").asString());
            assertEquals(unknown.toString(), problem(transfer(unknown, known, 10), 404, "Account not found").get("accountId").asString());
            assertEquals(before, Snapshot.of(BankApiContract.this, known));
            problem(client.get().uri("/accounts/{id}", unknown).exchange(), 404, "Account not found");
        }

        @Test
        void aTransferToTheSameAccountAnswers422() {
            UUID id = open("self");
            deposit(id, 10);
            Snapshot before = Snapshot.of(BankApiContract.this, id);
            problem(transfer(id, id, 1), 422, "Transfer to the same account");
            assertEquals(before, Snapshot.of(BankApiContract.this, id));
        }

        @Test
        void aTransferThatKeepsConflictingAnswers409AndChangesNeitherAccount() {
            UUID from = open("sender");
            UUID to = open("contended");
            deposit(from, 100);
            Snapshot before = Snapshot.of(BankApiContract.this, from, to);
            StreamId contended = Accounts.TYPE.streamId(to.toString());
            bank.rival.contend(contended, Integer.MAX_VALUE);
            try {
                JsonNode problem = problem(transfer(from, to, 10), 409, "Concurrent update");
                assertEquals(to.toString(), problem.get("accountId").asString());
            } finally {
                bank.rival.stop(contended);
            }
            int won = bank.rival.racesWon(contended);
            assertEquals(maxAttempts(), won, "one rival commit before each attempt");
            assertEquals(before.accounts().get(0), account(from), "the sender is unchanged");
            // the receiver holds the rival's deposits only: no transfer event reached either stream
            assertAccount(account(to), to, "contended", won * RivalWriter.RIVAL_DEPOSIT, 1 + won);
            assertTrue(events(to).stream().noneMatch(e -> e.get("type").asString().startsWith("account.transfer")));
            assertEquals(before.events().get(0), events(from));
        }

        @Test
        void aTransferThatConflictsAFewTimesIsRetriedAndAppliedOnce() {
            UUID from = open("retrier");
            UUID to = open("busy");
            deposit(from, 100);
            StreamId busy = Accounts.TYPE.streamId(to.toString());
            bank.rival.contend(busy, 3);
            JsonNode transfer = transfer(from, to, 25).expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
            assertEquals(3, bank.rival.racesWon(busy));
            assertAccount(transfer.get("from"), from, "retrier", 75, 3);
            assertAccount(transfer.get("to"), to, "busy", 3 + 25, 5);
            assertEquals(1, events(from).stream().filter(e -> e.get("type").asString().equals("account.transfer-sent")).count());
            assertEquals(1, events(to).stream().filter(e -> e.get("type").asString().equals("account.transfer-received")).count());
        }

        @Test
        void concurrentTransfersBothWaysKeepTheTotal() {
            UUID a = open("ping");
            UUID b = open("pong");
            deposit(a, 1000);
            deposit(b, 1000);
            List<Integer> statuses = Flux.range(0, 40)
                    .flatMap(i -> bank.concurrentClient.post().uri("/transfers")
                            .contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(i % 2 == 0
                                    ? Map.of("from", a.toString(), "to", b.toString(), "amount", 10)
                                    : Map.of("from", b.toString(), "to", a.toString(), "amount", 5))
                            .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())), 40)
                    .collectList()
                    .block(TIMEOUT);
            assertEquals(40, statuses.size());
            assertTrue(statuses.stream().allMatch(status -> status == 200), "every transfer succeeded: " + statuses);
            assertAccount(account(a), a, "ping", 1000 - 20 * 10 + 20 * 5, 2 + 40);
            assertAccount(account(b), b, "pong", 1000 + 20 * 10 - 20 * 5, 2 + 40);
        }
    }

    @Nested
    class IdempotencyKeys {

        static final String KEY = "Idempotency-Key";

        private WebTestClient.ResponseSpec post(String uri, Object body, String key) {
            return client.post().uri(uri).contentType(MediaType.APPLICATION_JSON).header(KEY, key).bodyValue(body).exchange();
        }

        private byte[] bodyOf(WebTestClient.ResponseSpec response, int status, boolean replayed) {
            var result = response.expectStatus().isEqualTo(status).expectBody(byte[].class).returnResult();
            assertEquals(replayed ? "true" : null, result.getResponseHeaders().getFirst("Idempotent-Replayed"));
            return result.getResponseBody();
        }

        @Test
        void aDepositSentAgainWithItsKeyAnswersTheSameAndDepositsOnce() {
            UUID id = open("idem-dep");
            String key = "dep-" + UUID.randomUUID();
            byte[] first = bodyOf(post("/accounts/" + id + "/deposits", Map.of("amount", 100), key), 200, false);
            byte[] again = bodyOf(post("/accounts/" + id + "/deposits", Map.of("amount", 100), key), 200, true);
            assertEquals(new String(first, java.nio.charset.StandardCharsets.UTF_8), new String(again, java.nio.charset.StandardCharsets.UTF_8));
            assertAccount(account(id), id, "idem-dep", 100, 2);
            assertEquals(2, events(id).size());
            assertEquals(key, events(id).get(1).get("metadata").get("commandId").asString(), "the key is the command id");
        }

        @Test
        void anOpeningSentAgainAnswers201WithTheSameAccountAndLocation() {
            String key = "open-" + UUID.randomUUID();
            var first = post("/accounts", Map.of("owner", "idem-open"), key).expectStatus().isCreated().expectBody(JsonNode.class).returnResult();
            var again = post("/accounts", Map.of("owner", "idem-open"), key).expectStatus().isCreated().expectBody(JsonNode.class).returnResult();
            assertEquals(first.getResponseBody(), again.getResponseBody());
            assertEquals(first.getResponseHeaders().getLocation(), again.getResponseHeaders().getLocation());
            assertEquals("true", again.getResponseHeaders().getFirst("Idempotent-Replayed"));
            UUID id = UUID.fromString(first.getResponseBody().get("id").asString());
            assertEquals(1, events(id).size());
        }

        @Test
        void aTransferSentAgainAnswersTheSameTransferAndMovesTheMoneyOnce() {
            UUID from = open("idem-from");
            UUID to = open("idem-to");
            deposit(from, 100);
            String key = "tr-" + UUID.randomUUID();
            Map<String, Object> body = Map.of("from", from.toString(), "to", to.toString(), "amount", 30);
            byte[] first = bodyOf(post("/transfers", body, key), 200, false);
            byte[] again = bodyOf(post("/transfers", body, key), 200, true);
            assertEquals(new String(first, java.nio.charset.StandardCharsets.UTF_8), new String(again, java.nio.charset.StandardCharsets.UTF_8));
            assertAccount(account(from), from, "idem-from", 70, 3);
            assertAccount(account(to), to, "idem-to", 30, 2);
        }

        @Test
        void aDomainErrorIsAnsweredAgainEvenAfterTheRuleWouldPass() {
            UUID id = open("idem-broke");
            String key = "wd-" + UUID.randomUUID();
            byte[] refused = bodyOf(post("/accounts/" + id + "/withdrawals", Map.of("amount", 50), key), 422, false);
            deposit(id, 80);
            byte[] again = bodyOf(post("/accounts/" + id + "/withdrawals", Map.of("amount", 50), key), 422, true);
            assertEquals(new String(refused, java.nio.charset.StandardCharsets.UTF_8), new String(again, java.nio.charset.StandardCharsets.UTF_8));
            assertAccount(account(id), id, "idem-broke", 80, 2);
        }

        @Test
        void aKeyReusedWithAnotherBodyOrPathAnswers422AndChangesNothing() {
            UUID id = open("idem-reuse");
            String key = "reuse-" + UUID.randomUUID();
            bodyOf(post("/accounts/" + id + "/deposits", Map.of("amount", 100), key), 200, false);
            JsonNode problem = problem(post("/accounts/" + id + "/deposits", Map.of("amount", 200), key), 422, "Idempotency key reused");
            assertEquals(key, problem.get("idempotencyKey").asString());
            problem(post("/accounts/" + id + "/withdrawals", Map.of("amount", 100), key), 422, "Idempotency key reused");
            assertAccount(account(id), id, "idem-reuse", 100, 2);
        }

        @Test
        void concurrentRequestsWithOneKeyDepositOnceAndAnswerTheSameOrInProgress() {
            UUID id = open("idem-race");
            String key = "race-" + UUID.randomUUID();
            List<Map.Entry<Integer, String>> answers = Flux.range(0, 8)
                    .flatMap(i -> bank.concurrentClient.post().uri("/accounts/{id}/deposits", id)
                            .contentType(MediaType.APPLICATION_JSON)
                            .header(KEY, key)
                            .bodyValue(Map.of("amount", 10))
                            .exchangeToMono(response -> response.bodyToMono(String.class).defaultIfEmpty("")
                                    .map(body -> Map.entry(response.statusCode().value(), body))), 8)
                    .collectList()
                    .block(TIMEOUT);
            assertTrue(answers.stream().allMatch(a -> a.getKey() == 200 || a.getKey() == 409), "200 or 409 only: " + answers);
            Set<String> okBodies = new HashSet<>();
            answers.stream().filter(a -> a.getKey() == 200).forEach(a -> okBodies.add(a.getValue()));
            assertEquals(1, okBodies.size(), "every 200 is the same answer: " + answers);
            assertAccount(account(id), id, "idem-race", 10, 2);
            // once the first has answered, a repetition is answered from the record
            bodyOf(client.post().uri("/accounts/{id}/deposits", id).contentType(MediaType.APPLICATION_JSON).header(KEY, key)
                    .bodyValue(Map.of("amount", 10)).exchange(), 200, true);
        }

        @Test
        void aRequestWhileTheFirstWithItsKeyIsStillRunningAnswers409() {
            UUID id = open("idem-busy");
            String key = "busy-" + UUID.randomUUID();
            String body = "{\"amount\":10}";
            String fingerprint = IdempotencyKeyFilter.fingerprint("POST", "/accounts/" + id + "/deposits",
                    body.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            IdempotencyRecords records = bank.context.getBean(IdempotencyRecords.class);
            // the first request with the key has claimed it and not answered yet
            assertTrue(records.claim(key, fingerprint).block(TIMEOUT) instanceof Claim.Claimed);

            JsonNode problem = problem(post("/accounts/" + id + "/deposits", body, key), 409, "Request in progress");
            assertEquals(key, problem.get("idempotencyKey").asString());
            assertAccount(account(id), id, "idem-busy", 0, 1);

            records.release(key, fingerprint).block(TIMEOUT); // the first gave up: the key runs again
            bodyOf(post("/accounts/" + id + "/deposits", body, key), 200, false);
            assertAccount(account(id), id, "idem-busy", 10, 2);
        }

        @Test
        void anUnusableKeyAnswers400() {
            UUID id = open("idem-bad");
            problem(post("/accounts/" + id + "/deposits", Map.of("amount", 1), "x".repeat(201)), 400, "Invalid request");
            problem(post("/accounts/" + id + "/deposits", Map.of("amount", 1), "with space"), 400, "Invalid request");
            assertAccount(account(id), id, "idem-bad", 0, 1);
        }
    }

    @Nested
    class Errors {

        static Stream<Arguments> malformedRequests() {
            String account = "{account}";
            String other = "{other}";
            return Stream.of(
                    Arguments.of("open: not JSON", HttpMethod.POST, "/accounts", "{\"owner\": "),
                    Arguments.of("open: empty body", HttpMethod.POST, "/accounts", ""),
                    Arguments.of("open: JSON null", HttpMethod.POST, "/accounts", "null"),
                    Arguments.of("open: an array", HttpMethod.POST, "/accounts", "[]"),
                    Arguments.of("open: no owner", HttpMethod.POST, "/accounts", "{}"),
                    Arguments.of("open: null owner", HttpMethod.POST, "/accounts", "{\"owner\": null}"),
                    Arguments.of("open: blank owner", HttpMethod.POST, "/accounts", "{\"owner\": \"  \"}"),
                    Arguments.of("open: owner a number", HttpMethod.POST, "/accounts", "{\"owner\": 42}"),
                    Arguments.of("open: owner with NUL", HttpMethod.POST, "/accounts", "{\"owner\": \"a\\u0000b\"}"),
                    Arguments.of("open: owner with a lone surrogate", HttpMethod.POST, "/accounts", "{\"owner\": \"\\ud800\"}"),
                    Arguments.of("open: owner too long", HttpMethod.POST, "/accounts", "{\"owner\": \"" + "x".repeat(201) + "\"}"),
                    Arguments.of("deposit: no amount", HttpMethod.POST, "/accounts/" + account + "/deposits", "{}"),
                    Arguments.of("deposit: zero", HttpMethod.POST, "/accounts/" + account + "/deposits", "{\"amount\": 0}"),
                    Arguments.of("deposit: negative", HttpMethod.POST, "/accounts/" + account + "/deposits", "{\"amount\": -5}"),
                    Arguments.of("deposit: fraction", HttpMethod.POST, "/accounts/" + account + "/deposits", "{\"amount\": 1.5}"),
                    Arguments.of("deposit: text", HttpMethod.POST, "/accounts/" + account + "/deposits", "{\"amount\": \"100\"}"),
                    Arguments.of("deposit: boolean", HttpMethod.POST, "/accounts/" + account + "/deposits", "{\"amount\": true}"),
                    Arguments.of("deposit: beyond a long", HttpMethod.POST, "/accounts/" + account + "/deposits",
                            "{\"amount\": 9223372036854775808}"),
                    Arguments.of("deposit: not JSON", HttpMethod.POST, "/accounts/" + account + "/deposits", "amount=5"),
                    Arguments.of("deposit: invalid id", HttpMethod.POST, "/accounts/not-a-uuid/deposits", "{\"amount\": 5}"),
                    Arguments.of("deposit: non-canonical id", HttpMethod.POST, "/accounts/1-2-3-4-5/deposits", "{\"amount\": 5}"),
                    Arguments.of("withdrawal: zero", HttpMethod.POST, "/accounts/" + account + "/withdrawals", "{\"amount\": 0}"),
                    Arguments.of("withdrawal: invalid id", HttpMethod.POST, "/accounts/42/withdrawals", "{\"amount\": 5}"),
                    Arguments.of("get: invalid id", HttpMethod.GET, "/accounts/not-a-uuid", null),
                    Arguments.of("events: invalid id", HttpMethod.GET, "/accounts/not-a-uuid/events", null),
                    Arguments.of("transfer: no from", HttpMethod.POST, "/transfers", "{\"to\": \"" + other + "\", \"amount\": 1}"),
                    Arguments.of("transfer: no to", HttpMethod.POST, "/transfers", "{\"from\": \"" + account + "\", \"amount\": 1}"),
                    Arguments.of("transfer: no amount", HttpMethod.POST, "/transfers",
                            "{\"from\": \"" + account + "\", \"to\": \"" + other + "\"}"),
                    Arguments.of("transfer: negative amount", HttpMethod.POST, "/transfers",
                            "{\"from\": \"" + account + "\", \"to\": \"" + other + "\", \"amount\": -1}"),
                    Arguments.of("transfer: invalid from", HttpMethod.POST, "/transfers",
                            "{\"from\": \"nope\", \"to\": \"" + other + "\", \"amount\": 1}"),
                    Arguments.of("transfer: from a number", HttpMethod.POST, "/transfers",
                            "{\"from\": 7, \"to\": \"" + other + "\", \"amount\": 1}"),
                    Arguments.of("transfer: not JSON", HttpMethod.POST, "/transfers", "{"));
        }

        @ParameterizedTest(name = "{0}")
        @MethodSource("malformedRequests")
        void malformedInputAnswers400AndChangesNothing(String description, HttpMethod method, String path, String body) {
            UUID account = open("victim");
            UUID other = open("bystander");
            deposit(account, 50);
            Snapshot before = Snapshot.of(BankApiContract.this, account, other);
            WebTestClient.RequestBodySpec request = client.method(method)
                    .uri(path.replace("{account}", account.toString()).replace("{other}", other.toString()));
            WebTestClient.ResponseSpec response = body == null
                    ? request.exchange()
                    : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
            JsonNode problem = problem(response, 400, null);
            assertFalse(problem.get("detail").asString().isBlank(), description + ": a detail says what is wrong");
            assertEquals(before, Snapshot.of(BankApiContract.this, account, other), description + ": nothing changed");
        }

        @Test
        void aBodyThatBreaksItsConstraintsAnswers400NamingEachBrokenField() {
            UUID account = open("validated");
            JsonNode problem = problem(client.post().uri("/transfers").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"from\": \"nope\", \"amount\": 0}").exchange(), 400, "Invalid request");
            assertEquals("amount must be positive; from must be an account id (a UUID such as 3f2b8c1e-8d4a-4c6e-9a57-0c1d2e3f4a5b);"
                    + " to is required", problem.get("detail").asString());
            List<String> fields = new ArrayList<>();
            problem.get("errors").forEach(error -> fields.add(error.get("field").asString() + ": " + error.get("message").asString()));
            assertEquals(List.of("amount: must be positive",
                    "from: must be an account id (a UUID such as 3f2b8c1e-8d4a-4c6e-9a57-0c1d2e3f4a5b)", "to: is required"), fields);

            JsonNode owner = problem(client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{\"owner\": \"" + "x".repeat(201) + "\"}").exchange(), 400, "Invalid request");
            assertEquals("owner must be at most 200 characters", owner.get("detail").asString());
            JsonNode blank = problem(client.post().uri("/accounts/{id}/deposits", account).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue("{}").exchange(), 400, "Invalid request");
            assertEquals("amount is required", blank.get("detail").asString());
            assertAccount(account(account), account, "validated", 0, 1);
        }

        @Test
        void anotherMediaTypeAnswers415() {
            problem(client.post().uri("/accounts").contentType(MediaType.TEXT_PLAIN).bodyValue("owner=dan").exchange(), 415, null);
        }

        @Test
        void unknownAccountsAnswer404() {
            UUID unknown = UUID.randomUUID();
            for (WebTestClient.ResponseSpec response : List.of(
                    client.get().uri("/accounts/{id}", unknown).exchange(),
                    client.get().uri("/accounts/{id}/events", unknown).exchange(),
                    client.post().uri("/accounts/{id}/deposits", unknown).contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("amount", 5)).exchange(),
                    client.post().uri("/accounts/{id}/withdrawals", unknown).contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("amount", 5)).exchange())) {
                JsonNode problem = problem(response, 404, "Account not found");
                assertEquals(unknown.toString(), problem.get("accountId").asString());
            }
            // nothing was created by trying
            problem(client.get().uri("/accounts/{id}/events", unknown).exchange(), 404, "Account not found");
        }

        @Test
        void anOverdraftAnswers422AndWritesNothing() {
            UUID id = open("careful");
            deposit(id, 25);
            Snapshot before = Snapshot.of(BankApiContract.this, id);
            JsonNode problem = problem(client.post().uri("/accounts/{id}/withdrawals", id).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("amount", 26)).exchange(), 422, "Insufficient funds");
            assertEquals(id.toString(), problem.get("accountId").asString());
            assertEquals(25, problem.get("balance").asLong());
            assertEquals(26, problem.get("amount").asLong());
            assertEquals(before, Snapshot.of(BankApiContract.this, id));
            assertAccount(withdraw(id, 25), id, "careful", 0, 3);
        }

        @Test
        void aDepositPastTheLargestBalanceAnswers422AndWritesNothing() {
            UUID id = open("whale");
            deposit(id, Long.MAX_VALUE);
            Snapshot before = Snapshot.of(BankApiContract.this, id);
            problem(client.post().uri("/accounts/{id}/deposits", id).contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(Map.of("amount", 1)).exchange(), 422, "Balance limit exceeded");
            assertEquals(before, Snapshot.of(BankApiContract.this, id));
        }

        @Test
        void aConflictThatOutlastsTheRetriesAnswers409AndWritesNothing() {
            UUID id = open("hot");
            StreamId stream = Accounts.TYPE.streamId(id.toString());
            bank.rival.contend(stream, Integer.MAX_VALUE);
            try {
                JsonNode problem = problem(client.post().uri("/accounts/{id}/deposits", id).contentType(MediaType.APPLICATION_JSON)
                        .bodyValue(Map.of("amount", 5)).exchange(), 409, "Concurrent update");
                assertEquals(id.toString(), problem.get("accountId").asString());
            } finally {
                bank.rival.stop(stream);
            }
            int won = bank.rival.racesWon(stream);
            assertEquals(maxAttempts(), won, "the command ran as often as the retry policy allows, losing each time");
            List<JsonNode> events = events(id);
            assertEquals(1 + won, events.size());
            assertTrue(events.stream().skip(1).allMatch(e -> e.get("data").get("amount").asLong() == RivalWriter.RIVAL_DEPOSIT),
                    "only the rival's deposits were stored, not the request's");
            assertAccount(account(id), id, "hot", won * RivalWriter.RIVAL_DEPOSIT, 1 + won);
        }

        @Test
        void aConflictThatEndsWithinTheRetriesIsRetriedAndCountsOnce() {
            UUID id = open("warm");
            StreamId stream = Accounts.TYPE.streamId(id.toString());
            bank.rival.contend(stream, 2);
            assertAccount(deposit(id, 100), id, "warm", 2 * RivalWriter.RIVAL_DEPOSIT + 100, 4);
            assertEquals(2, bank.rival.racesWon(stream));
            assertEquals(List.of(1L, 1L, 100L), events(id).stream().skip(1).map(e -> e.get("data").get("amount").asLong()).toList());
        }
    }

    @Nested
    class Concurrency {

        @Test
        void fiftyConcurrentDepositsToOneAccountAllCount() {
            UUID id = open("popular");
            int deposits = 50;
            List<Integer> statuses = Flux.range(1, deposits)
                    .flatMap(amount -> bank.concurrentClient.post().uri("/accounts/{id}/deposits", id)
                            .contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Map.of("amount", amount))
                            .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())), deposits)
                    .collectList()
                    .block(TIMEOUT);
            assertEquals(deposits, statuses.size());
            assertTrue(statuses.stream().allMatch(status -> status == 200), "every deposit succeeded: " + statuses);
            long total = (long) deposits * (deposits + 1) / 2;
            assertAccount(account(id), id, "popular", total, 1 + deposits);
            List<JsonNode> events = events(id);
            assertEquals(IntStream.rangeClosed(1, deposits).boxed().toList(),
                    events.stream().skip(1).map(e -> e.get("data").get("amount").asInt()).sorted().toList(),
                    "each deposit stored exactly once");
            awaitValue("the read model counts every deposit", () -> {
                JsonNode summary = find(accountList(), id);
                return summary != null && summary.get("balance").asLong() == total && summary.get("version").asLong() == 1 + deposits
                        ? summary : null;
            });
        }
    }

    @Nested
    class CorrelationIds {

        @Test
        void theRequestsCorrelationIdIsEchoedAndStoredInEveryEventsMetadata() {
            String opening = "open-" + UUID.randomUUID();
            UUID from = UUID.fromString(client.post().uri("/accounts").header(CORRELATION, opening)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("owner", "traced"))
                    .exchange()
                    .expectStatus().isCreated()
                    .expectHeader().valueEquals(CORRELATION, opening)
                    .expectBody(JsonNode.class).returnResult().getResponseBody().get("id").asString());
            UUID to = open("also traced");
            String depositing = "deposit-" + UUID.randomUUID();
            client.post().uri("/accounts/{id}/deposits", from).header(CORRELATION, depositing)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("amount", 50))
                    .exchange().expectStatus().isOk().expectHeader().valueEquals(CORRELATION, depositing);
            String transferring = "transfer-" + UUID.randomUUID();
            client.post().uri("/transfers").header(CORRELATION, transferring)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("from", from.toString(), "to", to.toString(), "amount", 20))
                    .exchange().expectStatus().isOk().expectHeader().valueEquals(CORRELATION, transferring);

            assertEquals(List.of(opening, depositing, transferring), correlationIds(events(from)));
            assertEquals(transferring, last(events(to)).get("metadata").get("correlationId").asString());
        }

        @Test
        void aRequestWithoutAUsableCorrelationIdGetsAGeneratedOne() {
            var response = client.post().uri("/accounts").contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("owner", "anon"))
                    .exchange().expectStatus().isCreated().expectBody(JsonNode.class).returnResult();
            String generated = response.getResponseHeaders().getFirst(CORRELATION);
            assertNotNull(UUID.fromString(generated));
            UUID id = UUID.fromString(response.getResponseBody().get("id").asString());

            String unusable = "x".repeat(129);
            String replaced = client.post().uri("/accounts/{id}/deposits", id).header(CORRELATION, unusable)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("amount", 1))
                    .exchange().expectStatus().isOk().returnResult(JsonNode.class).getResponseHeaders().getFirst(CORRELATION);
            assertNotNull(UUID.fromString(replaced));
            assertFalse(replaced.equals(generated), "each request gets its own id");
            assertEquals(List.of(generated, replaced), correlationIds(events(id)));
        }

        @Test
        void problemDetailsCarryTheCorrelationId() {
            String id = "failing-" + UUID.randomUUID();
            JsonNode problem = client.get().uri("/accounts/{id}", UUID.randomUUID()).header(CORRELATION, id)
                    .exchange().expectStatus().isNotFound().expectHeader().valueEquals(CORRELATION, id)
                    .expectBody(JsonNode.class).returnResult().getResponseBody();
            assertEquals(id, problem.get("correlationId").asString());
        }
    }

    @Nested
    class EventStream {

        @Test
        void theStreamDeliversStoredThenLiveEventsWithTheirPositionsAsIds() {
            UUID id = open("streamed");
            deposit(id, 10);
            String stream = Accounts.TYPE.streamId(id.toString()).toString();
            Flux<ServerSentEvent<JsonNode>> events = client.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM)
                    .exchange()
                    .expectStatus().isOk()
                    .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                    .returnResult(SSE).getResponseBody()
                    .filter(event -> event.data() != null); // not the heartbeats
            // subscribed: the request is answered; now append live, while the stream is open
            CompletableFuture<List<ServerSentEvent<JsonNode>>> received = events
                    .takeUntil(event -> isEvent(event, stream, 4))
                    .timeout(TIMEOUT)
                    .collectList()
                    .toFuture();
            withdraw(id, 3);
            deposit(id, 1);
            List<ServerSentEvent<JsonNode>> mine = join(received).stream()
                    .filter(event -> stream.equals(event.data().get("stream").asString()))
                    .toList();
            assertEquals(List.of("account.opened", "account.deposited", "account.withdrawn", "account.deposited"),
                    mine.stream().map(ServerSentEvent::event).toList());
            assertEquals(List.of(1L, 2L, 3L, 4L), mine.stream().map(e -> e.data().get("version").asLong()).toList());
            assertEquals(events(id), mine.stream().map(ServerSentEvent::data).toList(), "the same events as the account's own list");
            for (ServerSentEvent<JsonNode> event : mine) {
                assertEquals(event.data().get("position").asString(), event.id());
            }
        }

        @Test
        void aStreamResumedWithLastEventIdMissesAndRepeatsNothing() {
            UUID id = open("resumer");
            deposit(id, 1);
            String stream = Accounts.TYPE.streamId(id.toString()).toString();

            // first connection: up to the account's 3rd event, which is appended live
            CompletableFuture<List<ServerSentEvent<JsonNode>>> firstPart = openStream(null)
                    .takeUntil(event -> isEvent(event, stream, 3))
                    .timeout(TIMEOUT)
                    .collectList()
                    .toFuture();
            deposit(id, 2);
            List<ServerSentEvent<JsonNode>> first = join(firstPart);
            String lastEventId = last(first).id();

            // while disconnected: more events, of this account and of another
            deposit(id, 3);
            UUID other = open("meanwhile");
            deposit(id, 4);

            // reconnect as an EventSource does, with the last id it got
            List<ServerSentEvent<JsonNode>> second = openStream(lastEventId)
                    .takeUntil(event -> isEvent(event, stream, 5))
                    .timeout(TIMEOUT)
                    .collectList()
                    .block(TIMEOUT);
            assertTrue(Position.parse(second.get(0).id()).isAfter(Position.parse(lastEventId)), "resumed after the last id");

            // the two parts together are exactly what one uninterrupted stream delivers
            List<ServerSentEvent<JsonNode>> whole = openStream(null)
                    .takeUntil(event -> isEvent(event, stream, 5))
                    .timeout(TIMEOUT)
                    .collectList()
                    .block(TIMEOUT);
            List<String> resumedIds = new ArrayList<>(ids(first));
            resumedIds.addAll(ids(second));
            assertEquals(ids(whole), resumedIds);
            assertEquals(resumedIds.size(), new HashSet<>(resumedIds).size(), "no event twice");
            assertStrictlyIncreasing(resumedIds.stream().map(Position::parse).toList());
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L), Stream.concat(first.stream(), second.stream())
                    .filter(event -> stream.equals(event.data().get("stream").asString()))
                    .map(event -> event.data().get("version").asLong())
                    .toList());
            String otherStream = Accounts.TYPE.streamId(other.toString()).toString();
            assertEquals(1, second.stream().filter(event -> otherStream.equals(event.data().get("stream").asString())).count());
        }

        @Test
        void anIdleStreamSendsHeartbeatCommentsThatAreNotEvents() {
            List<ServerSentEvent<JsonNode>> heartbeats = client.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM)
                    // resume after the newest event: nothing to send but heartbeats
                    .header("Last-Event-ID", newestPosition())
                    .exchange()
                    .expectStatus().isOk()
                    .returnResult(SSE).getResponseBody()
                    .take(3)
                    .timeout(TIMEOUT)
                    .collectList()
                    .block(TIMEOUT);
            for (ServerSentEvent<JsonNode> heartbeat : heartbeats) {
                assertEquals("heartbeat", heartbeat.comment());
                assertNull(heartbeat.data(), "a comment line, which an EventSource does not deliver");
                assertNull(heartbeat.id(), "no id: the browser's Last-Event-ID stays the last event's");
            }
        }

        @Test
        void everyEventCarriesTheBrowsersReconnectionDelay() {
            UUID id = open("reconnecting");
            String stream = Accounts.TYPE.streamId(id.toString()).toString();
            ServerSentEvent<JsonNode> opened = openStream(null)
                    .filter(event -> isEvent(event, stream, 1))
                    .blockFirst(TIMEOUT);
            assertEquals(Duration.ofSeconds(2), opened.retry());
            assertEquals("account.opened", opened.event(), "the event name, for EventSource.addEventListener");
        }

        private String newestPosition() {
            UUID id = open("newest");
            return last(events(id)).get("position").asString();
        }

        @Test
        void anUnreadableLastEventIdAnswers400() {
            problem(client.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM).header("Last-Event-ID", "not-a-position")
                    .exchange(), 400, "Invalid request");
        }

        private Flux<ServerSentEvent<JsonNode>> openStream(String lastEventId) {
            return client.get().uri("/events").accept(MediaType.TEXT_EVENT_STREAM)
                    .headers(headers -> {
                        if (lastEventId != null) {
                            headers.set("Last-Event-ID", lastEventId);
                        }
                    })
                    .exchange()
                    .expectStatus().isOk()
                    .returnResult(SSE).getResponseBody()
                    .filter(event -> event.data() != null); // not the heartbeats
        }

        private boolean isEvent(ServerSentEvent<JsonNode> event, String stream, long version) {
            return stream.equals(event.data().get("stream").asString()) && event.data().get("version").asLong() == version;
        }

        private List<String> ids(List<ServerSentEvent<JsonNode>> events) {
            return events.stream().map(ServerSentEvent::id).toList();
        }
    }

    // ------------------------------------------------------------------ helpers

    /** Two accounts' states and events, to check that a refused request changed nothing. */
    record Snapshot(List<JsonNode> accounts, List<List<JsonNode>> events) {
        static Snapshot of(BankApiContract test, UUID... ids) {
            List<JsonNode> accounts = new ArrayList<>();
            List<List<JsonNode>> events = new ArrayList<>();
            for (UUID id : ids) {
                accounts.add(test.account(id));
                events.add(test.events(id));
            }
            return new Snapshot(accounts, events);
        }
    }

    UUID open(String owner) {
        return api.open(owner);
    }

    JsonNode deposit(UUID id, long amount) {
        return api.deposit(id, amount);
    }

    JsonNode withdraw(UUID id, long amount) {
        return api.withdraw(id, amount);
    }

    WebTestClient.ResponseSpec transfer(UUID from, UUID to, long amount) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("from", from.toString());
        body.put("to", to.toString());
        body.put("amount", amount);
        return client.post().uri("/transfers").contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    JsonNode account(UUID id) {
        return api.account(id);
    }

    List<JsonNode> events(UUID id) {
        return api.events(id);
    }

    List<JsonNode> accountList() {
        return api.accountList();
    }

    int maxAttempts() {
        return bank.context.getBean(BankProperties.class).retry().maxAttempts();
    }

    /**
     * Asserts an RFC 9457 problem: the status, the problem media type, the title (when given), a
     * detail, the request path as instance, and the correlation id of the response header.
     */
    static JsonNode problem(WebTestClient.ResponseSpec response, int status, String title) {
        var result = response.expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(JsonNode.class).returnResult();
        JsonNode problem = result.getResponseBody();
        String correlationId = result.getResponseHeaders().getFirst(CORRELATION);
        assertAll(
                () -> assertEquals(status, problem.get("status").asInt()),
                () -> {
                    if (title != null) {
                        assertEquals(title, problem.get("title").asString());
                    }
                },
                () -> assertFalse(problem.path("title").asString("").isBlank(), "a title"),
                () -> assertFalse(problem.path("detail").asString("").isBlank(), "a detail"),
                () -> assertEquals(result.getUrl().getPath(), problem.get("instance").asString()),
                () -> assertNotNull(correlationId, "a correlation id header"),
                () -> assertEquals(correlationId, problem.get("correlationId").asString()));
        return problem;
    }

    static void assertAccount(JsonNode account, UUID id, String owner, long balance, long version) {
        assertNotNull(account, "an account");
        assertAll(
                () -> assertEquals(id.toString(), account.get("id").asString()),
                () -> {
                    if (owner != null) {
                        assertEquals(owner, account.get("owner").asString());
                    }
                },
                () -> assertEquals(balance, account.get("balance").asLong()),
                () -> assertEquals(version, account.get("version").asLong()));
    }

    static JsonNode find(List<JsonNode> accounts, UUID id) {
        return accounts.stream().filter(account -> id.toString().equals(account.get("id").asString())).findFirst().orElse(null);
    }

    static <T> T last(List<T> list) {
        return list.get(list.size() - 1);
    }

    static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.properties().forEach(entry -> names.add(entry.getKey()));
        return names;
    }

    static List<String> correlationIds(List<JsonNode> events) {
        return events.stream().map(event -> event.get("metadata").get("correlationId").asString()).toList();
    }

    static void assertStrictlyIncreasing(List<Position> positions) {
        for (int i = 1; i < positions.size(); i++) {
            assertTrue(positions.get(i).isAfter(positions.get(i - 1)), "positions increase: " + positions);
        }
    }

    static <T> T join(CompletableFuture<T> future) {
        try {
            return future.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the stream did not deliver", e);
        }
    }

    /**
     * Polls {@code probe} on the test's thread every 50 ms until it returns a value, for at most
     * {@link #TIMEOUT}: for the read model, which trails the store.
     */
    static <T> T awaitValue(String what, Supplier<T> probe) {
        Instant deadline = Instant.now().plus(TIMEOUT);
        while (true) {
            T value = probe.get();
            if (value != null) {
                return value;
            }
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("timed out after " + TIMEOUT + " waiting until " + what);
            }
            Mono.delay(Duration.ofMillis(50)).block();
        }
    }
}
