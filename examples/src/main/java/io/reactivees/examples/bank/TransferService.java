package io.reactivees.examples.bank;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.aggregate.AggregateNotFoundException;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateState;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * Moves money between two accounts in one atomic multi-stream append
 * ({@link EventStore#appendAll}): the sender's {@link AccountEvent.TransferSent} and the receiver's
 * {@link AccountEvent.TransferReceived} are both stored, or neither is.
 *
 * <p>A transfer touches two aggregates, which {@link AggregateRepository} (one aggregate per command)
 * does not do, so this service runs the same loop by hand: load both accounts through the
 * repository, decide, append both streams with {@code exact(version)}, and on a
 * {@link ConcurrencyConflictException} (either account changed meanwhile) reload and decide again
 * under the {@link RetryPolicy}. Business rule failures are never retried. Like the repository, it
 * stores the {@link CommandMetadata} of the Reactor context as every event's metadata.
 */
public final class TransferService {

    private static final JsonMapper METADATA_JSON = JsonMapper.builder().build();

    private final AggregateRepository<Account, AccountEvent> accounts;
    private final EventStore store;
    private final EventSerializer serializer;
    private final RetryPolicy retryPolicy;

    /**
     * @param accounts loads the accounts
     * @param store where the accounts' streams are (the repository's store)
     * @param serializer writes the events (the repository's serializer)
     * @param retryPolicy how conflicts are retried
     * @throws NullPointerException if an argument is null
     */
    public TransferService(AggregateRepository<Account, AccountEvent> accounts, EventStore store, EventSerializer serializer,
                           RetryPolicy retryPolicy) {
        this.accounts = Objects.requireNonNull(accounts, "accounts must not be null");
        this.store = Objects.requireNonNull(store, "store must not be null");
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
        this.retryPolicy = Objects.requireNonNull(retryPolicy, "retryPolicy must not be null");
    }

    /**
     * Transfers {@code amount} from one account to another.
     *
     * @param transferId the transfer's id, stored in both events
     * @param from the sending account
     * @param to the receiving account
     * @param amount how much; positive
     * @return a cold {@code Mono} of both accounts after the transfer. It fails with
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
        return Mono.deferContextual(context -> {
            byte[] metadata = METADATA_JSON.writeValueAsBytes(CommandMetadata.from(context).asMap());
            return Mono.defer(() -> attempt(transferId, from, to, amount, metadata)).retryWhen(retryPolicy.onConflict());
        });
    }

    private Mono<Result> attempt(UUID transferId, UUID fromId, UUID toId, long amount, byte[] metadata) {
        return accounts.load(fromId.toString()).zipWith(accounts.load(toId.toString())).flatMap(loaded -> {
            AggregateState<Account> from = loaded.getT1();
            AggregateState<Account> to = loaded.getT2();
            for (AggregateState<Account> account : List.of(from, to)) {
                if (!account.exists()) {
                    return Mono.error(new AggregateNotFoundException(account.streamId()));
                }
            }
            Accounts.Transfer decided = Accounts.transfer(transferId, fromId, from.state(), toId, to.state(), amount);
            return store.appendAll(List.of(
                            StreamAppend.of(from.streamId(), ExpectedVersion.exact(from.version()),
                                    List.of(serializer.serialize(decided.sent(), UUID.randomUUID(), metadata))),
                            StreamAppend.of(to.streamId(), ExpectedVersion.exact(to.version()),
                                    List.of(serializer.serialize(decided.received(), UUID.randomUUID(), metadata)))))
                    .map(appended -> new Result(transferId, amount,
                            new AggregateState<>(from.streamId(), from.state().apply(decided.sent()), appended.get(0).toVersion()),
                            new AggregateState<>(to.streamId(), to.state().apply(decided.received()), appended.get(1).toVersion())));
        });
    }

    /**
     * A completed transfer.
     *
     * @param transferId the transfer's id
     * @param amount how much moved
     * @param from the sender after the transfer
     * @param to the receiver after the transfer
     */
    public record Result(UUID transferId, long amount, AggregateState<Account> from, AggregateState<Account> to) {}
}
