package io.reactivees.examples.bank;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.AggregateState;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.aggregate.MultiCommandResult;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Mono;

/**
 * Moves money between two accounts in one atomic commit: the sender's
 * {@link AccountEvent.TransferSent} and the receiver's {@link AccountEvent.TransferReceived} are both
 * stored, or neither is. The {@link MultiAggregateRepository} does the work: it loads both accounts,
 * runs {@link Accounts#transfer} once, appends both events with each account's expected version,
 * retries on a conflict, and stores the Reactor context's {@code CommandMetadata} on both events.
 * A command id in that metadata makes the transfer idempotent.
 */
public final class TransferService {

    private final MultiAggregateRepository<Account, AccountEvent> accounts;

    /**
     * @param accounts the accounts, several at a time
     * @throws NullPointerException if {@code accounts} is null
     */
    public TransferService(MultiAggregateRepository<Account, AccountEvent> accounts) {
        this.accounts = Objects.requireNonNull(accounts, "accounts must not be null");
    }

    /**
     * Transfers {@code amount} from one account to another.
     *
     * @param transferId the transfer's id, stored in both events
     * @param from the sending account
     * @param to the receiving account
     * @param amount how much; positive
     * @return a cold {@code Mono} of both accounts after the transfer (after the first one, when the
     *     context's command id has committed before). It fails with
     *     {@link AggregateNotFoundException} when an account does not exist, with a
     *     {@link BankRuleException} when a rule forbids the transfer, with
     *     {@link ConcurrencyConflictException} when conflicts outlast the retry policy, and with the
     *     store's errors; whenever it fails, neither account has changed.
     * @throws NullPointerException if an id is null
     * @throws IllegalArgumentException if {@code amount} is not positive
     */
    public Mono<Result> transfer(UUID transferId, UUID from, UUID to, long amount) {
        Objects.requireNonNull(transferId, "transferId must not be null");
        Objects.requireNonNull(from, "from must not be null");
        Objects.requireNonNull(to, "to must not be null");
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive: " + amount);
        }
        if (from.equals(to)) {
            return Mono.error(new BankRuleException.SameAccountTransfer(from));
        }
        String payer = from.toString();
        String payee = to.toString();
        MultiCommand<Account, AccountEvent> transfer = MultiCommand.<Account, AccountEvent>of(states -> {
            Accounts.Transfer decided = Accounts.transfer(transferId, from, states.get(payer), to, states.get(payee), amount);
            return Map.of(payer, List.of(decided.sent()), payee, List.of(decided.received()));
        }).withFingerprint("account.transfer", payer + ">" + payee + ":" + amount);
        return accounts.update(List.of(payer, payee), transfer).map(result -> Result.of(result, payer, payee, amount));
    }

    /**
     * A completed transfer.
     *
     * @param transferId the transfer's id
     * @param amount how much moved
     * @param from the sender after the transfer
     * @param to the receiver after the transfer
     */
    public record Result(UUID transferId, long amount, AggregateState<Account> from, AggregateState<Account> to) {

        static Result of(MultiCommandResult<Account, AccountEvent> result, String payer, String payee, long amount) {
            CommandResult<Account, AccountEvent> sender = result.get(payer);
            CommandResult<Account, AccountEvent> receiver = result.get(payee);
            // the id of the commit's own event: a re-run under a command id answers the first transfer
            UUID transferId = ((AccountEvent.TransferSent) sender.events().get(0)).transferId();
            return new Result(transferId, amount,
                    new AggregateState<>(sender.streamId(), sender.state(), sender.version()),
                    new AggregateState<>(receiver.streamId(), receiver.state(), receiver.version()));
        }
    }
}
