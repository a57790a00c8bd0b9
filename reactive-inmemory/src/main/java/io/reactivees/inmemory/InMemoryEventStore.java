package io.reactivees.inmemory;

import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.AppendRules;
import io.reactivees.core.internal.AppendRules.StoredAt;
import io.reactivees.core.internal.Payloads;
import io.reactivees.inmemory.Pages.Page;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * An {@link EventStore} held in memory: for tests, prototypes and examples. It keeps the whole
 * contract of the PostgreSQL store (the shared contract suite checks both), so code tested on it
 * behaves the same in production.
 *
 * <p>Thread-safe: commits are serialised by one short critical section, so the global order is the
 * commit order and positions are {@code (commit number, event sequence)}. Reads and subscriptions
 * never hold that lock for more than one page.
 *
 * <p>Live subscriptions do not receive pushed copies of events: a commit only wakes them, and each
 * reads its next page from the log when it has demand. A subscription therefore holds at most one
 * page of events ({@link Builder#pageSize(int)}) whatever its speed; a slow one costs its cursor and
 * nothing more.
 *
 * <pre>{@code
 * EventStore store = InMemoryEventStore.create();
 * EventStore timed = InMemoryEventStore.builder().clock(fixedClock).build();
 * }</pre>
 */
public final class InMemoryEventStore implements EventStore {

    private final Clock clock;
    private final Scheduler wakeScheduler;
    private final int pageSize;

    private final Object lock = new Object();
    // Guarded by lock. The log is in global order; index i holds the event of sequence i + 1.
    private final ArrayList<RecordedEvent> log = new ArrayList<>();
    private final Map<StreamId, ArrayList<RecordedEvent>> streams = new HashMap<>();
    private final Map<UUID, RecordedEvent> byId = new HashMap<>();
    private long commits;
    // Completed (outside the lock) by the next commit; subscriptions at the head wait on it.
    private Sinks.Empty<Void> nextCommit = Sinks.empty();

    private InMemoryEventStore(Builder builder) {
        this.clock = builder.clock;
        this.wakeScheduler = builder.wakeScheduler;
        this.pageSize = builder.pageSize;
    }

    /** Returns an empty store with the system UTC clock and default settings. */
    public static InMemoryEventStore create() {
        return builder().build();
    }

    /** Returns a builder for a store with a chosen clock, scheduler or page size. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
        StreamAppend append = AppendRules.requireValidAppend(stream, expected, events);
        return commit(List.of(append), null).map(results -> results.get(0));
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
        return commit(AppendRules.requireValidAppendAll(appends), null);
    }

    @Override
    public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
        StreamAppend append = AppendRules.requireValidAppend(stream, expected, events);
        return commit(List.of(append), AppendRules.requireCondition(condition)).map(results -> results.get(0));
    }

    @Override
    public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
        List<StreamAppend> checked = AppendRules.requireValidAppendAll(appends);
        return commit(checked, AppendRules.requireCondition(condition));
    }

    /**
     * Commits {@code appends} in the critical section: a retry of a stored commit is answered first,
     * then the condition (null for none) is checked, then the expected versions.
     */
    private Mono<List<AppendResult>> commit(List<StreamAppend> appends, AppendCondition condition) {
        return Mono.fromCallable(() -> {
            Sinks.Empty<Void> committed;
            List<AppendResult> results;
            synchronized (lock) {
                List<AppendResult> retried = retriedResults(appends);
                if (retried != null) {
                    return retried;
                }
                if (condition != null) {
                    requireNoMatch(condition);
                }
                for (StreamAppend append : appends) {
                    long current = versionOf(append.streamId());
                    if (!append.expected().isSatisfiedBy(current)) {
                        throw new ConcurrencyConflictException(append.streamId(), append.expected(), current);
                    }
                }
                results = write(appends);
                committed = nextCommit;
                nextCommit = Sinks.empty();
            }
            committed.tryEmitEmpty();
            return results;
        });
    }

    /**
     * Returns the original results when every event of the commit is stored already as this very
     * commit wrote it; null when none is stored. Any other overlap is a duplicate.
     */
    private List<AppendResult> retriedResults(List<StreamAppend> appends) {
        boolean anyStored = appends.stream().flatMap(a -> a.events().stream()).anyMatch(e -> byId.containsKey(e.eventId()));
        if (!anyStored) {
            return null;
        }
        if (!AppendRules.isRetryOfAll(appends, this::storedAt)) {
            throw AppendRules.duplicateOf(appends, byId::containsKey);
        }
        List<AppendResult> results = new ArrayList<>(appends.size());
        for (StreamAppend append : appends) {
            if (append.isCheckOnly()) {
                results.add(currentResult(append.streamId()));
            } else {
                RecordedEvent first = byId.get(append.events().get(0).eventId());
                RecordedEvent last = byId.get(append.events().get(append.events().size() - 1).eventId());
                results.add(new AppendResult(append.streamId(), first.streamVersion() - 1, last.streamVersion(), last.position()));
            }
        }
        return results;
    }

    /** Fails when a committed event matches {@code condition}; scans the log after its earliest position. */
    private void requireNoMatch(AppendCondition condition) {
        Position from = condition.filters().stream().map(EventFilter::after).min(Position::compareTo).orElseThrow();
        for (int i = firstIndexAfter(from); i < log.size(); i++) {
            RecordedEvent event = log.get(i);
            if (condition.matches(event)) {
                throw new AppendConditionFailedException(condition, event.position());
            }
        }
    }

    private StoredAt storedAt(UUID eventId) {
        RecordedEvent existing = byId.get(eventId);
        return existing == null ? null : new StoredAt(existing.streamId(), existing.streamVersion());
    }

    private List<AppendResult> write(List<StreamAppend> appends) {
        long commit = ++commits;
        Instant now = clock.instant();
        List<AppendResult> results = new ArrayList<>(appends.size());
        for (StreamAppend append : appends) {
            if (append.isCheckOnly()) {
                results.add(currentResult(append.streamId()));
                continue;
            }
            ArrayList<RecordedEvent> stream = streams.computeIfAbsent(append.streamId(), s -> new ArrayList<>());
            long fromVersion = stream.size();
            RecordedEvent recorded = null;
            for (EventData event : append.events()) {
                // data() and metadata() return fresh copies: hand them over rather than copy them again
                recorded = Payloads.recordedEvent(event.eventId(), append.streamId(), stream.size() + 1L,
                        new Position(commit, log.size() + 1L), event.type(), event.data(), event.metadata(), now, event.tags());
                stream.add(recorded);
                log.add(recorded);
                byId.put(recorded.eventId(), recorded);
            }
            results.add(new AppendResult(append.streamId(), fromVersion, stream.size(), recorded.position()));
        }
        return results;
    }

    private AppendResult currentResult(StreamId streamId) {
        List<RecordedEvent> stream = streams.getOrDefault(streamId, new ArrayList<>(0));
        Position position = stream.isEmpty() ? Position.START : stream.get(stream.size() - 1).position();
        return new AppendResult(streamId, stream.size(), stream.size(), position);
    }

    private long versionOf(StreamId streamId) {
        List<RecordedEvent> stream = streams.get(streamId);
        return stream == null ? 0 : stream.size();
    }

    @Override
    public Mono<Long> streamVersion(StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        return Mono.fromSupplier(() -> {
            synchronized (lock) {
                List<RecordedEvent> events = streams.get(stream);
                return events == null ? null : (long) events.size();
            }
        });
    }

    @Override
    public Mono<RecordedEvent> readEvent(UUID eventId) {
        Objects.requireNonNull(eventId, "eventId must not be null");
        return Mono.fromSupplier(() -> {
            synchronized (lock) {
                return byId.get(eventId);
            }
        });
    }

    @Override
    public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
        Objects.requireNonNull(stream, "stream must not be null");
        Objects.requireNonNull(options, "options must not be null");
        boolean forwards = options.direction() == ReadOptions.Direction.FORWARDS;
        return Flux.defer(() -> {
            long[] next = new long[1]; // the version to read next
            long[] remaining = {options.limit()};
            synchronized (lock) {
                long version = versionOf(stream);
                next[0] = forwards ? Math.max(1, options.fromVersion()) : Math.min(version, options.fromVersion());
                // Forwards stops at the version current at subscription: the read is a snapshot.
                long last = forwards ? version : 1;
                long available = forwards ? Math.max(0, last - next[0] + 1) : Math.max(0, next[0]);
                remaining[0] = Math.min(remaining[0], available);
            }
            return Pages.of(() -> {
                int count = (int) Math.min(pageSize, remaining[0]);
                List<RecordedEvent> page = new ArrayList<>(count);
                synchronized (lock) {
                    List<RecordedEvent> events = streams.get(stream);
                    for (int i = 0; i < count; i++) {
                        page.add(events.get((int) (next[0] - 1)));
                        next[0] += forwards ? 1 : -1;
                    }
                }
                remaining[0] -= count;
                return new Page(page, null, remaining[0] == 0);
            });
        });
    }

    @Override
    public Flux<RecordedEvent> load(EventQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return Flux.defer(() -> {
            LogCursor cursor;
            synchronized (lock) {
                cursor = new LogCursor(firstIndexAfter(query.after()), log.size());
            }
            return Pages.of(() -> nextPage(cursor, query));
        });
    }

    @Override
    public Flux<RecordedEvent> subscribe(EventQuery query) {
        Objects.requireNonNull(query, "query must not be null");
        return Flux.defer(() -> {
            LogCursor cursor;
            synchronized (lock) {
                cursor = new LogCursor(firstIndexAfter(query.after()), -1);
            }
            return Flux.defer(() -> {
                Page page = nextPage(cursor, query);
                if (!page.events().isEmpty()) {
                    return Flux.fromIterable(page.events());
                }
                if (page.nextCommit() != null) {
                    // Resume on the scheduler, not on the thread of the committing writer.
                    return page.nextCommit().asMono().publishOn(wakeScheduler).thenMany(Flux.<RecordedEvent>empty());
                }
                return Flux.<RecordedEvent>empty();
            }).repeat();
        });
    }

    /**
     * Reads the next page for a cursor: up to {@code pageSize} matching events, scanning a bounded
     * stretch of the log so the lock is never held long. When the scan reaches the head of the log
     * the page carries the signal of the next commit, taken under the same lock, so no commit can
     * slip between the read and the wait.
     */
    private Page nextPage(LogCursor cursor, EventQuery query) {
        List<RecordedEvent> events = new ArrayList<>();
        synchronized (lock) {
            int end = cursor.end < 0 ? log.size() : cursor.end;
            int scanLimit = cursor.index + pageSize * 16;
            while (cursor.index < end && events.size() < pageSize && cursor.index < scanLimit) {
                RecordedEvent event = log.get(cursor.index++);
                if (query.matches(event)) {
                    events.add(event);
                }
            }
            boolean atHead = cursor.index >= end;
            boolean live = cursor.end < 0;
            return new Page(events, live && atHead && events.isEmpty() ? nextCommit : null, !live && atHead);
        }
    }

    /** The log index of the first event after {@code position}; positions grow with the index. */
    private int firstIndexAfter(Position position) {
        int low = 0;
        int high = log.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (log.get(mid).position().isAfter(position)) {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        return low;
    }

    /** The number of live subscriptions waiting for the next commit; for tests of cancellation. */
    int waitingSubscriptions() {
        synchronized (lock) {
            return nextCommit.currentSubscriberCount();
        }
    }

    /** A read position in the log; {@code end < 0} means follow the head. */
    private static final class LogCursor {
        int index;
        final int end;

        LogCursor(int index, int end) {
            this.index = index;
            this.end = end;
        }
    }

    /** Builds an {@link InMemoryEventStore}. */
    public static final class Builder {

        private Clock clock = Clock.systemUTC();
        private Scheduler wakeScheduler = Schedulers.parallel();
        private int pageSize = 256;

        private Builder() {}

        /**
         * Sets the clock that stamps {@link RecordedEvent#recordedAt()}; the system UTC clock by
         * default.
         *
         * @throws NullPointerException if {@code clock} is null
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock must not be null");
            return this;
        }

        /**
         * Sets the scheduler on which live subscriptions resume after a commit wakes them, so that
         * writers never run subscribers' code; {@link Schedulers#parallel()} by default.
         *
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder wakeScheduler(Scheduler scheduler) {
            this.wakeScheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Sets how many events a read takes from the log at once: the most a subscription holds.
         * 256 by default.
         *
         * @throws IllegalArgumentException if {@code pageSize} is not positive
         */
        public Builder pageSize(int pageSize) {
            if (pageSize <= 0) {
                throw new IllegalArgumentException("pageSize must be positive: " + pageSize);
            }
            this.pageSize = pageSize;
            return this;
        }

        /** Returns a new, empty store with these settings. */
        public InMemoryEventStore build() {
            return new InMemoryEventStore(this);
        }
    }
}
