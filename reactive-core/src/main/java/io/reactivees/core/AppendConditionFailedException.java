package io.reactivees.core;

import java.util.Objects;

/**
 * An append carried an {@link AppendCondition}, and an event matching its query had been committed
 * after the condition's position: the decision was taken on stale facts. Nothing of the commit was
 * stored. Read the query's events again and decide again (a decision model does so under its
 * retry policy).
 */
public final class AppendConditionFailedException extends EventStoreException {

    private static final long serialVersionUID = 1L;

    private final Position matchedAt;

    /**
     * Creates the exception.
     *
     * @param condition the condition that failed, for the message
     * @param matchedAt the position of a committed event that the condition's query matches
     * @throws NullPointerException if an argument is null
     */
    public AppendConditionFailedException(AppendCondition condition, Position matchedAt) {
        super("an event matching " + Objects.requireNonNull(condition, "condition must not be null")
                + " was committed at " + Objects.requireNonNull(matchedAt, "matchedAt must not be null")
                + "; nothing was stored: read again and decide again", null);
        this.matchedAt = matchedAt;
    }

    /** The position of a committed event that the condition's query matches (one of them, when several do). */
    public Position matchedAt() {
        return matchedAt;
    }
}
