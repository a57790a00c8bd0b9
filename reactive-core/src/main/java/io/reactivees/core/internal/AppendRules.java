package io.reactivees.core.internal;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * The append rules every store shares: argument checks made at call time, and the test that tells
 * an idempotent retry from a duplicate. Internal: no compatibility promise.
 */
public final class AppendRules {

    private AppendRules() {}

    /**
     * Checks the arguments of {@code EventStore.append} and returns them as one entry.
     *
     * @throws NullPointerException if an argument or event is null
     * @throws IllegalArgumentException if {@code events} is empty or two events share an id
     */
    public static StreamAppend requireValidAppend(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        Objects.requireNonNull(events, "events must not be null");
        if (events.isEmpty()) {
            throw new IllegalArgumentException("events must not be empty: " + stream);
        }
        return StreamAppend.of(stream, expected, events);
    }

    /**
     * Checks the arguments of {@code EventStore.appendAll} and returns an immutable copy.
     *
     * @throws NullPointerException if the list or an entry is null
     * @throws IllegalArgumentException if the list is empty, names a stream twice, writes no event,
     *     or two events share an id
     */
    public static List<StreamAppend> requireValidAppendAll(List<StreamAppend> appends) {
        Objects.requireNonNull(appends, "appends must not be null");
        List<StreamAppend> copy = List.copyOf(appends);
        if (copy.isEmpty()) {
            throw new IllegalArgumentException("appends must not be empty");
        }
        Set<StreamId> streams = new HashSet<>();
        Set<UUID> ids = new HashSet<>();
        for (StreamAppend append : copy) {
            if (!streams.add(append.streamId())) {
                throw new IllegalArgumentException("a stream may appear only once in appendAll: " + append.streamId());
            }
            for (EventData event : append.events()) {
                if (!ids.add(event.eventId())) {
                    throw new IllegalArgumentException("events must have distinct ids: " + event.eventId());
                }
            }
        }
        if (ids.isEmpty()) {
            throw new IllegalArgumentException("appendAll must write at least one event; its entries are all checks");
        }
        return copy;
    }

    /**
     * Checks the condition of a conditioned append.
     *
     * @throws NullPointerException if {@code condition} is null
     */
    public static AppendCondition requireCondition(AppendCondition condition) {
        return Objects.requireNonNull(condition, "condition must not be null");
    }

    /** Where a stored event is: its stream and version. */
    public record StoredAt(StreamId streamId, long streamVersion) {}

    /**
     * Tells whether an entry whose event ids are (partly) stored already is the retry of the same
     * append: every id stored, in the entry's stream, at consecutive versions in the entry's order,
     * starting where {@code expected} allowed the original append to start.
     *
     * @param append the entry being appended
     * @param stored where each of its events is stored, index for index; null for an id not stored
     * @return true for a retry (store nothing, answer the original result); false for a duplicate
     */
    public static boolean isRetryOf(StreamAppend append, List<StoredAt> stored) {
        List<EventData> events = append.events();
        if (stored.size() != events.size() || events.isEmpty()) {
            return false;
        }
        StoredAt first = stored.get(0);
        if (first == null || !first.streamId().equals(append.streamId())) {
            return false;
        }
        long fromVersion = first.streamVersion() - 1;
        for (int i = 0; i < stored.size(); i++) {
            StoredAt at = stored.get(i);
            if (at == null || !at.streamId().equals(append.streamId()) || at.streamVersion() != fromVersion + 1 + i) {
                return false;
            }
        }
        return append.expected().isSatisfiedBy(fromVersion);
    }

    /**
     * Tells whether a commit whose event ids are (partly) stored already is the retry of that very
     * commit: {@link #isRetryOf} holds for every entry that writes events.
     *
     * @param lookup where an event id is stored, or null when it is not
     */
    public static boolean isRetryOfAll(List<StreamAppend> appends, Function<UUID, StoredAt> lookup) {
        for (StreamAppend append : appends) {
            if (!append.isCheckOnly()
                    && !isRetryOf(append, append.events().stream().map(e -> lookup.apply(e.eventId())).toList())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The failure of a commit that reuses stored event ids without being their retry: it names the
     * first stored id, in commit order, and the stream the commit meant to write it to.
     *
     * @param stored tells whether an event id is stored
     * @throws IllegalArgumentException if no event id of the commit is stored
     */
    public static DuplicateEventException duplicateOf(List<StreamAppend> appends, Predicate<UUID> stored) {
        for (StreamAppend append : appends) {
            for (EventData event : append.events()) {
                if (stored.test(event.eventId())) {
                    return new DuplicateEventException(event.eventId(), append.streamId());
                }
            }
        }
        throw new IllegalArgumentException("no event id of the commit is stored");
    }
}
