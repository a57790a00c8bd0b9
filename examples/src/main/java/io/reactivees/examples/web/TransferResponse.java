package io.reactivees.examples.web;

import io.reactivees.examples.bank.TransferService;
import java.util.UUID;

/**
 * A completed transfer.
 *
 * @param id the transfer's id, stored in both accounts' events
 * @param amount how much moved
 * @param from the sender after the transfer
 * @param to the receiver after the transfer
 */
public record TransferResponse(UUID id, long amount, AccountResponse from, AccountResponse to) {

    static TransferResponse of(TransferService.Result result) {
        return new TransferResponse(result.transferId(), result.amount(), AccountResponse.of(result.from()),
                AccountResponse.of(result.to()));
    }
}
