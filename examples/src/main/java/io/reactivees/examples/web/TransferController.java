package io.reactivees.examples.web;

import io.reactivees.examples.bank.TransferService;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The transfers API: both accounts change in one atomic commit, or neither does. */
@RestController
class TransferController {

    private final TransferService transfers;

    TransferController(TransferService transfers) {
        this.transfers = transfers;
    }

    /** Moves money between two accounts: both accounts after it. */
    @PostMapping(path = "/transfers", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    Mono<TransferResponse> transfer(@RequestBody TransferRequest request) {
        UUID from = Requests.accountId("from", request.from());
        UUID to = Requests.accountId("to", request.to());
        long amount = Requests.amount(request.amount());
        return transfers.transfer(UUID.randomUUID(), from, to, amount).map(TransferResponse::of);
    }
}
