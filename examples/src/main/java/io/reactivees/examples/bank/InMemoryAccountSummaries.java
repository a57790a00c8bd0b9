package io.reactivees.examples.bank;

import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The accounts read model in memory, beside the in-memory event store. Thread-safe. */
public final class InMemoryAccountSummaries implements AccountSummaries {

    static final Comparator<AccountSummary> ORDER =
            Comparator.comparing(AccountSummary::owner).thenComparing(summary -> summary.id().toString());

    private final ConcurrentMap<UUID, AccountSummary> summaries = new ConcurrentHashMap<>();

    /**
     * Applies one account event; skips it when its version is applied already.
     *
     * @param change the event
     * @return a {@code Mono} that completes once applied; it fails with {@link IllegalStateException}
     *     when an event arrives out of its stream's order (which the projection never does)
     */
    public Mono<Void> apply(AccountChange change) {
        return Mono.fromRunnable(() -> summaries.compute(change.accountId(), (id, current) -> {
            if (current != null && change.version() <= current.version()) {
                return current;
            }
            if (current == null && change.event() instanceof AccountEvent.Opened opened && change.version() == 1) {
                return new AccountSummary(id, opened.owner(), 0, 1);
            }
            if (current == null) {
                throw new IllegalStateException("event " + change + " of an account that was never opened");
            }
            return current.apply(change);
        }));
    }

    /** @return a {@code Mono} that forgets every account (before a rebuild) */
    public Mono<Void> clear() {
        return Mono.fromRunnable(summaries::clear);
    }

    @Override
    public Flux<AccountSummary> findAll() {
        return Flux.defer(() -> {
            List<AccountSummary> all = List.copyOf(summaries.values());
            return Flux.fromStream(all.stream().sorted(ORDER));
        });
    }
}
