package io.reactivees.core;

import java.util.List;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * An append-only store of event streams with one global order.
 *
 * <p>Every method checks its arguments at call time and throws {@link NullPointerException} or
 * {@link IllegalArgumentException} before any I/O. Every publisher it returns is <em>cold</em>:
 * nothing is read or written until it is subscribed, and each subscription does the work again.
 * Failures arrive on the error track as an {@link EventStoreException}:
 * {@link ConcurrencyConflictException}, {@link AppendConditionFailedException},
 * {@link DuplicateEventException},
 * {@link StoreUnavailableException} (a retry may help) or, from a store that cannot work as it is
 * configured (a schema not migrated, a missing privilege), {@link StoreConfigurationException}
 * (retrying does not; its message says what to do).
 *
 * <p>Implementations are thread-safe.
 */
public interface EventStore {

    /**
     * Appends {@code events} to {@code stream} atomically, if the stream meets {@code expected}.
     *
     * <p>Retrying an append whose events are already stored in this stream at the same versions
     * (because the acknowledgement was lost) emits the original result and stores nothing, even if
     * the stream has moved on since.
     *
     * @return a cold {@code Mono} that appends on subscription and emits the result; it fails with
     *     {@link ConcurrencyConflictException} when the stream does not meet {@code expected},
     *     {@link DuplicateEventException} when an event id is stored elsewhere, and
     *     {@link StoreUnavailableException} when the store cannot be reached. On failure nothing is
     *     stored.
     * @throws NullPointerException if an argument or event is null
     * @throws IllegalArgumentException if {@code events} is empty or two events share an id
     */
    Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events);

    /**
     * Appends to several streams in one atomic commit: every entry's expected version is checked
     * and either every entry is written or none is. An entry with no events only checks its
     * stream's version.
     *
     * @return a cold {@code Mono} that emits one result per entry, in the order given; it fails as
     *     {@link #append} does, and then nothing of any entry is stored
     * @throws NullPointerException if the list or an entry is null
     * @throws IllegalArgumentException if the list is empty, names a stream twice, writes no event
     *     at all, or two events share an id
     */
    Mono<List<AppendResult>> appendAll(List<StreamAppend> appends);

    /**
     * Appends {@code events} to {@code stream} atomically, if the stream meets {@code expected} and no
     * committed event matches {@code condition} (the dynamic consistency boundary: "nothing I would
     * have read has happened since I read"). The condition is checked atomically with the write: of
     * two appends whose conditions each match the other's events, at most one succeeds, and an append
     * without a condition that writes a matching event while the check runs is seen by it. Appends
     * whose conditions select disjoint events do not wait for each other.
     *
     * <p>The events still go to a named stream, which the caller chooses: one per decision or per
     * entity, usually with {@link ExpectedVersion#any()}. A single stream shared by every decision
     * would make them wait for each other on it.
     *
     * <p>Retrying an append whose events are already stored as this very append stored them emits
     * the original result, as for {@link #append(StreamId, ExpectedVersion, List)}, without checking
     * the condition again (the append's own events would match it).
     *
     * @return a cold {@code Mono} that appends on subscription and emits the result; it fails with
     *     {@link AppendConditionFailedException} when an event matching the condition is committed,
     *     and otherwise as {@link #append(StreamId, ExpectedVersion, List)} does. On failure nothing
     *     is stored.
     * @throws NullPointerException if an argument or event is null
     * @throws IllegalArgumentException if {@code events} is empty or two events share an id
     */
    Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition);

    /**
     * {@link #appendAll(List)} under an {@link AppendCondition}: every entry's expected version is
     * checked, and the condition, all in one atomic commit; see
     * {@link #append(StreamId, ExpectedVersion, List, AppendCondition)}.
     *
     * @return a cold {@code Mono} that emits one result per entry, in the order given; it fails with
     *     {@link AppendConditionFailedException} when an event matching the condition is committed,
     *     and otherwise as {@link #appendAll(List)} does; then nothing of any entry is stored
     * @throws NullPointerException if an argument or an entry is null
     * @throws IllegalArgumentException if the list breaks the rules of {@link #appendAll(List)}
     */
    Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition);

    /**
     * Reads a stream's version: the number of events in it.
     *
     * @return a cold {@code Mono} that emits the version, or completes empty when the stream does
     *     not exist; it fails with {@link StoreUnavailableException}
     * @throws NullPointerException if {@code stream} is null
     */
    Mono<Long> streamVersion(StreamId stream);

    /**
     * Reads one stored event by its id, wherever it is. An aggregate repository uses it to tell
     * whether a command's (derived) first event id is stored already, i.e. whether the command has
     * committed before.
     *
     * @return a cold {@code Mono} that emits the committed event with that id, or completes empty
     *     when no committed event has it (an append still in flight is not seen); it fails with
     *     {@link StoreUnavailableException}
     * @throws NullPointerException if {@code eventId} is null
     */
    Mono<RecordedEvent> readEvent(UUID eventId);

    /**
     * Reads one stream's events in version order, as {@code options} say.
     *
     * @return a cold, finite {@code Flux} of the events, empty when the stream does not exist. It
     *     reads in pages as demand arrives, so work and memory stay bounded by the demand; cancelling
     *     stops the reading. It fails with {@link StoreUnavailableException}.
     * @throws NullPointerException if an argument is null
     */
    Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options);

    /**
     * Reads one stream forwards from its first event.
     *
     * @see #readStream(StreamId, ReadOptions)
     */
    default Flux<RecordedEvent> readStream(StreamId stream) {
        return readStream(stream, ReadOptions.forwards());
    }

    /**
     * Reads the committed events that {@code query} matches, in the global order.
     *
     * @return a cold, finite {@code Flux}: it emits each matching event once, in ascending
     *     {@link Position}, then completes; events committed after the subscription began may or may
     *     not be included, but never out of order. It reads in pages as demand arrives (a consumer
     *     that requests 10 events causes a bounded amount of work and memory), and cancelling stops
     *     the reading. It fails with {@link StoreUnavailableException}.
     * @throws NullPointerException if {@code query} is null
     */
    Flux<RecordedEvent> load(EventQuery query);

    /**
     * Reads the events that {@code query} matches, then follows the store live.
     *
     * <p>The subscription first catches up with the committed events, then emits new ones as they
     * are committed: every matching event exactly once, in the global order, with no gaps. To
     * resume after a restart, subscribe with {@code query.after(lastProcessed.position())}.
     *
     * <p>Outages: when the store's database goes away, a subscription either carries on once it is
     * back (nothing lost, nothing twice) or fails with {@link StoreUnavailableException} within a
     * bounded time that the store documents, so that the subscriber resumes {@code after} the last
     * event it processed; it never stalls silently.
     *
     * @return a cold, infinite {@code Flux} that never completes on its own. It honours demand (a
     *     slow subscriber is not sent more than it requested and costs bounded memory) and
     *     cancelling releases everything it holds. It fails with {@link StoreUnavailableException}
     *     when the store cannot be reached.
     * @throws NullPointerException if {@code query} is null
     */
    Flux<RecordedEvent> subscribe(EventQuery query);
}
