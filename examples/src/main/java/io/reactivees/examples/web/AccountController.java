package io.reactivees.examples.web;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.examples.bank.Account;
import io.reactivees.examples.bank.AccountEvent;
import io.reactivees.examples.bank.AccountSummaries;
import io.reactivees.examples.bank.AccountSummary;
import io.reactivees.examples.bank.Accounts;
import jakarta.validation.Valid;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * The accounts API. Commands go through the {@link AggregateRepository}: load the account from its
 * events, decide, append with optimistic concurrency (retried on a conflict); reads of one account
 * replay its stream, so they are always current. {@code GET /accounts} reads the projected read
 * model instead, which trails the store slightly.
 */
@RestController
@RequestMapping(path = "/accounts", produces = MediaType.APPLICATION_JSON_VALUE)
class AccountController {

    private final AggregateRepository<Account, AccountEvent> accounts;
    private final EventStore store;
    private final AccountSummaries summaries;
    private final JsonMapper json;

    AccountController(AggregateRepository<Account, AccountEvent> accounts, EventStore store, AccountSummaries summaries,
                      JsonMapper json) {
        this.accounts = accounts;
        this.store = store;
        this.summaries = summaries;
        this.json = json;
    }

    /** Opens an account: 201 with the account and its {@code Location}. */
    @PostMapping(consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<ResponseEntity<AccountResponse>> open(@Valid @RequestBody OpenAccountRequest request) {
        String owner = request.owner();
        return Mono.deferContextual(context -> {
            // under an Idempotency-Key the account id is derived from it, so that a repetition whose
            // first answer was lost opens the same account, which the command id then recognises
            String commandId = CommandMetadata.from(context).commandId();
            UUID id = commandId == null ? UUID.randomUUID()
                    : UUID.nameUUIDFromBytes(("account:" + commandId).getBytes(StandardCharsets.UTF_8));
            return accounts.create(id.toString(), Accounts.open(owner))
                    .map(result -> ResponseEntity.created(URI.create("/accounts/" + id))
                            .body(new AccountResponse(id, result.state().owner(), result.state().balance(), result.version())));
        });
    }

    /** Every account, from the read model. */
    @GetMapping
    Flux<AccountSummary> list() {
        return summaries.findAll();
    }

    /** One account, replayed from its events; 404 when there is none. */
    @GetMapping("/{id}")
    Mono<AccountResponse> get(@PathVariable String id) {
        UUID accountId = Requests.accountId("id", id);
        return accounts.load(accountId.toString()).map(state -> {
            if (!state.exists()) {
                throw new AggregateNotFoundException(state.streamId());
            }
            return AccountResponse.of(state);
        });
    }

    /** One account's events, oldest first; 404 when there is none. */
    @GetMapping("/{id}/events")
    Flux<EventResponse> events(@PathVariable String id) {
        UUID accountId = Requests.accountId("id", id);
        return store.readStream(Accounts.TYPE.streamId(accountId.toString()))
                .map(event -> EventResponse.of(event, json))
                .switchIfEmpty(Mono.error(() -> new AggregateNotFoundException(Accounts.TYPE.streamId(accountId.toString()))));
    }

    /** Pays money in: the account after it. */
    @PostMapping(path = "/{id}/deposits", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<AccountResponse> deposit(@PathVariable String id, @Valid @RequestBody AmountRequest request) {
        UUID accountId = Requests.accountId("id", id);
        return update(accountId, Accounts.deposit(accountId, request.amount()));
    }

    /** Takes money out: the account after it; 422 when the balance is too small. */
    @PostMapping(path = "/{id}/withdrawals", consumes = MediaType.APPLICATION_JSON_VALUE)
    Mono<AccountResponse> withdraw(@PathVariable String id, @Valid @RequestBody AmountRequest request) {
        UUID accountId = Requests.accountId("id", id);
        return update(accountId, Accounts.withdraw(accountId, request.amount()));
    }

    private Mono<AccountResponse> update(UUID accountId, Command<Account, AccountEvent> command) {
        return accounts.update(accountId.toString(), command)
                .map(result -> new AccountResponse(accountId, result.state().owner(), result.state().balance(), result.version()));
    }
}
