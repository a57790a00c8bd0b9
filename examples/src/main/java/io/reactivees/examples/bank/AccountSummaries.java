package io.reactivees.examples.bank;

import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import reactor.core.publisher.Flux;

/**
 * The accounts read model behind {@code GET /accounts}: one {@link AccountSummary} per account, kept
 * by a {@link io.reactivees.core.projection.ProjectionRunner} that applies every account event in the
 * global order. It trails the event store by the projection's lag, so a just-opened account may show
 * up a moment later.
 *
 * <p>Applying is idempotent: an event whose version the summary already has is skipped, so the
 * at-least-once delivery of a projection never counts money twice.
 */
public interface AccountSummaries {

    /** The projection's name, also its checkpoint's key. */
    String PROJECTION = "account-summaries";

    /** The events the projection reads: every account event. */
    EventQuery QUERY = EventQuery.of(EventFilter.forCategory(Accounts.TYPE.category()));

    /**
     * @return a cold, finite {@code Flux} of every account, ordered by owner and then id (as text)
     */
    Flux<AccountSummary> findAll();
}
