package io.reactivees.examples.web;

import io.reactivees.examples.bank.TransferService;
import java.util.UUID;
import jakarta.validation.Valid;
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
    Mono<TransferResponse> transfer(@Valid @RequestBody TransferRequest request) {
        return transfers.transfer(UUID.randomUUID(), UUID.fromString(request.from()), UUID.fromString(request.to()),
                request.amount()).map(TransferResponse::of);
    }
}
