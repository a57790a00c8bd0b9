package io.reactivees.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The condition of a decision's append (the dynamic consistency boundary): the commit fails with
 * {@link AppendConditionFailedException}, and stores nothing, if any committed event matches
 * {@link #query()}, that is, an event its filters select that comes after the query's position
 * (and after each filter's own). A decider reads the events of a query, decides, and appends with
 * {@code failIfEventsMatch(query).after(positionOfTheLastEventRead)}: the append succeeds only if
 * nothing it would have read has been committed since.
 *
 * <pre>{@code
 * EventQuery seat = EventQuery.of(EventFilter.forTags("seat:12A"));
 * // ... load(seat), fold, decide ...
 * store.append(stream, ExpectedVersion.any(), events, AppendCondition.failIfEventsMatch(seat).after(lastRead));
 * }</pre>
 *
 * <p>Every filter of a condition must name an event type or a tag: stores guard a condition by
 * locking what it selects (on PostgreSQL, advisory locks on its types and tags), and a filter by
 * stream or category alone would select across every type. The check is atomic with the write:
 * two appends whose conditions select each other's events cannot both succeed.
 *
 * @param query the events that must not exist; at least one filter, each naming a type or a tag
 */
public record AppendCondition(EventQuery query) {

    /**
     * Validates the query.
     *
     * @throws NullPointerException if {@code query} is null
     * @throws IllegalArgumentException if the query has no filter (it would select every event), or
     *     a filter names neither a type nor a tag
     */
    public AppendCondition {
        Objects.requireNonNull(query, "query must not be null");
        if (query.filters().isEmpty()) {
            throw new IllegalArgumentException("an append condition needs a query with at least one filter;"
                    + " EventQuery.all() would make every other append conflict");
        }
        for (EventFilter filter : query.filters()) {
            if (filter.type().isEmpty() && filter.tags().isEmpty()) {
                throw new IllegalArgumentException("each filter of an append condition must name a type or a tag: " + filter);
            }
        }
    }

    /**
     * The condition that fails the append if any event matching {@code query} exists after the
     * query's position; restrict it with {@link #after}.
     *
     * @throws NullPointerException if {@code query} is null
     * @throws IllegalArgumentException if the query has no filter, or a filter names neither a type nor a tag
     */
    public static AppendCondition failIfEventsMatch(EventQuery query) {
        return new AppendCondition(query);
    }

    /**
     * Returns this condition restricted to events after {@code position} (exclusive): the position of
     * the last event the decider read, or {@link Position#START} when it read none.
     *
     * @throws NullPointerException if {@code position} is null
     */
    public AppendCondition after(Position position) {
        return new AppendCondition(query.after(position));
    }

    /** The position after which a matching event fails the append. */
    public Position after() {
        return query.after();
    }

    /**
     * Returns the condition that fails when this one or {@code other} does: each keeps its own
     * position (carried on its filters). For a decision made of several independent parts.
     *
     * @throws NullPointerException if {@code other} is null
     */
    public AppendCondition and(AppendCondition other) {
        Objects.requireNonNull(other, "other must not be null");
        List<EventFilter> all = new ArrayList<>(filters());
        all.addAll(other.filters());
        return new AppendCondition(new EventQuery(all, Position.START));
    }

    /**
     * The query's filters, each restricted to the later of its own position and the query's: the
     * condition fails when any of them matches a committed event.
     */
    public List<EventFilter> filters() {
        List<EventFilter> filters = new ArrayList<>(query.filters().size());
        for (EventFilter filter : query.filters()) {
            filters.add(filter.after().compareTo(query.after()) >= 0 ? filter : filter.after(query.after()));
        }
        return List.copyOf(filters);
    }

    /** Tells whether {@code event}, once committed, fails this condition. */
    public boolean matches(RecordedEvent event) {
        return query.matches(event);
    }
}
