package io.reactivees.core.aggregate;

import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.snapshot.Snapshot;
import io.reactivees.core.snapshot.Snapshotter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.util.Logger;
import reactor.util.Loggers;
import reactor.util.retry.Retry;

/**
 * Loads aggregates from their streams and runs commands against them with optimistic concurrency:
 * load the state, decide, append with {@code exact(version)}; on a {@link ConcurrencyConflictException}
 * reload and decide again, under the {@link RetryPolicy}. A domain error from the command is never
 * retried, and a command that decides no events writes nothing.
 *
 * <p><b>Commands in turn.</b> By default ({@link Builder#serializeCommandsPerAggregate}) the commands
 * of one repository on one aggregate run one at a time, in the order they were subscribed, and each
 * starts from the state the one before it left instead of loading the aggregate again. On a hot
 * aggregate they then never conflict with each other and none waits behind luckier ones for ever;
 * conflicts come only from writers outside this repository (other processes), and those are
 * reloaded and retried as above.
 *
 * <p>Every event a command appends carries the {@link CommandMetadata} found in the Reactor context
 * as its metadata. Every method returns a cold {@code Mono}: nothing is read or written before
 * subscription.
 *
 * <p>With a {@link Snapshotter} ({@link Builder#snapshots}), loading starts from the stream's latest
 * snapshot and replays only the events after it. A snapshot is used only if it is of the
 * snapshotter's schema version, decodes, and is not ahead of the stream; otherwise (and when the
 * snapshot store fails) the stream is replayed in full, so a snapshot is never the source of truth.
 * The tail is read from the snapshot's own version: the first event read proves the stream reached
 * it and is not applied again. After a command appends events, a snapshot of the new state is offered
 * under the snapshotter's policy, counting the events since the snapshot the command started from;
 * the command's {@code Mono} completes after that write, and a failing write is logged and never
 * fails the command. A command that appends nothing writes no snapshot.
 *
 * <p><b>Idempotent commands.</b> A command run with a command id in its metadata
 * ({@link CommandMetadata#withCommandId}, e.g. from an HTTP {@code Idempotency-Key}) gets event ids
 * derived from that id ({@link CommandIds}, a persisted contract) instead of random ones, and must
 * carry a {@link CommandFingerprint} ({@link Command#withFingerprint}). Before each attempt the
 * repository looks the command's first derived id up ({@link EventStore#readEvent}):
 * <ul>
 *   <li>when it is stored, the command has committed before (perhaps its acknowledgement was lost,
 *       perhaps a concurrent run of it won): the repository answers that commit's result, read back
 *       (the state at the commit's last version, however far the aggregate has moved on since, its
 *       events and where they were appended, with {@link CommandResult#replayed()} true), decides
 *       nothing, appends nothing and offers no snapshot;
 *   <li>when the fingerprint stored with that event (command type, input hash and stream) differs,
 *       the id was reused for another command: it fails with {@link CommandIdReusedException};
 *   <li>otherwise it decides and appends as usual, with the derived ids. A retry after a conflict
 *       keeps them and looks them up again; a concurrent run of the same command that stored them
 *       first (a {@link io.reactivees.core.DuplicateEventException} on one of them) is answered as
 *       that commit.
 * </ul>
 * The guarantee: a command id is remembered as long as the command's events exist, which in an
 * append-only log is for ever. It covers commands that stored events only: a command that failed
 * (a domain error, a conflict past the retry policy, a store error before its commit) or decided no
 * events stored nothing, so a run with its id again decides again, and may now succeed or fail
 * otherwise. An id reused on a stream the first command never wrote derives other ids and is not
 * recognised: a command id must name one command. Decisions are expected to be deterministic for
 * a given state; two runs of one command racing at one version store the winner's events, and the
 * loser is answered the winner's result by the store's idempotent retry.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class AggregateRepository<S, E> {

    private static final Logger LOG = Loggers.getLogger(AggregateRepository.class);

    private enum Mode {
        CREATE(CommandObserver.CREATE), UPDATE(CommandObserver.UPDATE), EXECUTE(CommandObserver.EXECUTE);

        final String operation;

        Mode(String operation) {
            this.operation = operation;
        }
    }

    private final EventStore store;
    private final EventSerializer serializer;
    private final AggregateType<S, E> type;
    private final RetryPolicy retryPolicy;
    private final Scheduler scheduler;
    private final Snapshotter<S> snapshotter; // null without snapshots
    private final CommandObserver observer;
    private final @Nullable CommandTurns<StreamId, Loaded<S>> turns; // null when commands are not serialized

    private AggregateRepository(Builder<S, E> builder) {
        this.store = builder.store;
        this.serializer = builder.serializer;
        this.type = builder.type;
        this.retryPolicy = builder.retryPolicy;
        this.scheduler = builder.scheduler;
        this.snapshotter = builder.snapshotter;
        this.observer = builder.observer;
        this.turns = builder.serializeCommandsPerAggregate ? new CommandTurns<>() : null;
    }

    /**
     * Returns a builder.
     *
     * @param store where the streams are
     * @param serializer maps the aggregate's events to stored events and back
     * @param type the aggregate type
     * @return the builder
     * @throws NullPointerException if an argument is null
     */
    public static <S, E> Builder<S, E> builder(EventStore store, EventSerializer serializer, AggregateType<S, E> type) {
        return new Builder<>(store, serializer, type);
    }

    /** The store the aggregates' streams are in. */
    EventStore store() {
        return store;
    }

    /** @return the aggregate type this repository serves */
    public AggregateType<S, E> type() {
        return type;
    }

    /**
     * Loads an aggregate by replaying its stream, from its latest usable snapshot when there is a
     * {@link Snapshotter}.
     *
     * @param id the aggregate id
     * @return a cold {@code Mono} of the state, with version 0 and the initial state when the stream
     *     does not exist; it fails with {@link io.reactivees.core.EventDecodingException} when an event
     *     cannot be decoded, and with the event store's errors (never with the snapshot store's)
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<AggregateState<S>> load(String id) {
        StreamId streamId = type.streamId(id);
        return Mono.defer(() -> replay(streamId)).map(Loaded::current);
    }

    /**
     * Creates an aggregate: runs {@code command} on the initial state and appends with
     * {@code noStream()}.
     *
     * @param id the new aggregate's id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails with {@link AggregateAlreadyExistsException}
     *     when the stream exists (also when it was created concurrently; this is never retried), with
     *     the command's domain error, with {@link CommandIdReusedException} when its command id was used
     *     by another command, with {@link IllegalArgumentException} when it has a command id and no
     *     fingerprint, or with the store's errors. A command id that already committed answers that
     *     commit's result, even though the stream exists now.
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> create(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.CREATE);
    }

    /**
     * Runs a command against an existing aggregate.
     *
     * @param id the aggregate id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails with {@link AggregateNotFoundException} when
     *     the stream does not exist, with the command's domain error, with
     *     {@link ConcurrencyConflictException} when conflicts outlast the retry policy, with
     *     {@link CommandIdReusedException} when its command id was used by another command, with
     *     {@link IllegalArgumentException} when it has a command id and no fingerprint, or with the
     *     store's errors. Whenever it fails, nothing was appended.
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> update(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.UPDATE);
    }

    /**
     * Runs a command whether or not the aggregate exists (the command sees the initial state when
     * it does not).
     *
     * @param id the aggregate id
     * @param command the decision
     * @return a cold {@code Mono} of the result; it fails like {@link #update} except that a missing
     *     stream is not an error
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code id} is blank
     */
    public Mono<CommandResult<S, E>> execute(String id, Command<S, E> command) {
        return run(type.streamId(id), command, Mode.EXECUTE);
    }

    private Mono<CommandResult<S, E>> run(StreamId streamId, Command<S, E> command, Mode mode) {
        Objects.requireNonNull(command, "command must not be null");
        return observer.observe(type.category(), mode.operation, Mono.deferContextual(context -> {
            CommandRun run = CommandRun.of(CommandMetadata.from(context), command.fingerprint(), List.of(streamId));
            Mono<Outcome<S, E>> outcome = turns == null
                    ? attempts(streamId, command, mode, run, null)
                    : turns.inTurn(streamId, handed -> attempts(streamId, command, mode, run, handed), Outcome::after);
            return outcome.map(Outcome::result);
        }));
    }

    /**
     * Runs a command under the retry policy. The first attempt starts from {@code handed}, the
     * state the command before it in its turn left, when there is one; every other attempt (and a
     * first without it) loads the aggregate.
     */
    private Mono<Outcome<S, E>> attempts(StreamId streamId, Command<S, E> command, Mode mode, CommandRun run, @Nullable Loaded<S> handed) {
        AtomicInteger attempts = new AtomicInteger();
        return Mono.defer(() -> {
                    int attempt = attempts.incrementAndGet();
                    Mono<Loaded<S>> loaded = attempt == 1 && handed != null ? Mono.just(handed) : replay(streamId);
                    Mono<Outcome<S, E>> decided = loaded.flatMap(state -> attempt(state, command, mode, run, attempt));
                    if (!run.idempotent()) {
                        return decided;
                    }
                    // A run of a command that committed before answers that commit; so does one
                    // whose ids a concurrent run of the same command stored meanwhile.
                    return committed(streamId, run, attempt).map(Outcome::<S, E>replayed)
                            .switchIfEmpty(decided.onErrorResume(run::isOwnDuplicate,
                                    e -> committed(streamId, run, attempt).map(Outcome::<S, E>replayed).switchIfEmpty(Mono.error(e))));
                })
                .retryWhen(retrySpec(mode.operation));
    }

    private Mono<Outcome<S, E>> attempt(Loaded<S> loaded, Command<S, E> command, Mode mode, CommandRun run, int attempt) {
        AggregateState<S> current = loaded.current();
        if (mode == Mode.CREATE && current.exists()) {
            return Mono.error(new AggregateAlreadyExistsException(current.streamId()));
        }
        if (mode == Mode.UPDATE && !current.exists()) {
            return Mono.error(new AggregateNotFoundException(current.streamId()));
        }
        return command.decide(current.state())
                .defaultIfEmpty(List.of())
                .flatMap(decided -> {
                    List<E> events = List.copyOf(decided);
                    if (events.isEmpty()) {
                        return Mono.just(new Outcome<>(
                                new CommandResult<S, E>(current.streamId(), current.state(), current.version(), events, null, attempt), loaded));
                    }
                    List<EventData> data = serialize(current.streamId(), events, run);
                    S after = evolveAll(current.state(), events);
                    ExpectedVersion expected = mode == Mode.CREATE ? ExpectedVersion.noStream() : ExpectedVersion.exact(current.version());
                    return store.append(current.streamId(), expected, data)
                            .map(appended -> new CommandResult<>(current.streamId(), after, appended.toVersion(), events, appended, attempt))
                            .onErrorMap(e -> mode == Mode.CREATE && e instanceof ConcurrencyConflictException,
                                    e -> new AggregateAlreadyExistsException(current.streamId()))
                            .flatMap(result -> offerSnapshot(result, loaded.snapshotVersion()).map(saved -> new Outcome<>(result,
                                    new Loaded<>(new AggregateState<>(result.streamId(), after, result.version()),
                                            saved ? result.version() : loaded.snapshotVersion()))));
                });
    }

    /**
     * A command's result, and the aggregate as the command left it for the next command in its turn
     * (null when the result was read back from an earlier commit: the aggregate may have moved on).
     */
    private record Outcome<S, E>(CommandResult<S, E> result, @Nullable Loaded<S> after) {
        static <S, E> Outcome<S, E> replayed(CommandResult<S, E> result) {
            return new Outcome<>(result, null);
        }
    }

    /** The stored form of a command's events in one stream: ids and metadata as the run gives them. */
    List<EventData> serialize(StreamId streamId, List<E> events, CommandRun run) {
        List<EventData> data = new ArrayList<>(events.size());
        for (int i = 0; i < events.size(); i++) {
            data.add(serializer.serialize(type.eventType().cast(events.get(i)), run.eventId(streamId, i), run.metadata(i)));
        }
        return data;
    }

    /** The state after {@code events}. */
    S evolveAll(S state, List<E> events) {
        S after = state;
        for (E event : events) {
            after = type.evolve(after, event);
        }
        return after;
    }

    /**
     * The result of the idempotent command's commit in {@code streamId}, read back; empty when its
     * first derived id there is not stored (the command has not committed, or wrote nothing there).
     * It fails with {@link CommandIdReusedException} when the stored event belongs to another command.
     */
    Mono<CommandResult<S, E>> committed(StreamId streamId, CommandRun run, int attempt) {
        return store.readEvent(run.eventId(streamId, 0)).flatMap(first -> {
            run.requireSameCommand(first);
            return committedAt(streamId, first, run, attempt);
        });
    }

    /**
     * Reads back a command's commit in one stream whose first event is {@code first}: the state
     * through the commit's last event there (the events that follow with the command's next derived
     * ids), never later, whatever the stream holds since. Reads the stream from its start.
     */
    Mono<CommandResult<S, E>> committedAt(StreamId streamId, RecordedEvent first, CommandRun run, int attempt) {
        long from = first.streamVersion();
        return store.readStream(streamId)
                .takeWhile(e -> e.streamVersion() < from || e.eventId().equals(run.eventId(streamId, (int) (e.streamVersion() - from))))
                .reduceWith(() -> new Replayed<S, E>(type.initialState(), 0, new ArrayList<>(), first), (replayed, recorded) -> {
                    E event = serializer.deserialize(recorded, type.eventType());
                    if (recorded.streamVersion() >= from) {
                        replayed.events().add(event);
                    }
                    return new Replayed<>(type.evolve(replayed.state(), event), recorded.streamVersion(), replayed.events(), recorded);
                })
                .map(replayed -> new CommandResult<>(streamId, replayed.state(), replayed.version(), replayed.events(),
                        new AppendResult(streamId, from - 1, replayed.version(), replayed.last().position()), attempt, true));
    }

    /**
     * The state of {@code streamId} just before {@code commit}, the position of a command's commit
     * that read this stream without writing to it: what the command saw. Reads the stream from its
     * start.
     */
    Mono<AggregateState<S>> stateBefore(StreamId streamId, Position commit) {
        return store.readStream(streamId)
                .takeWhile(e -> e.position().compareTo(commit) < 0)
                .reduce(new AggregateState<>(streamId, type.initialState(), 0), this::apply);
    }

    /** A commit read back: the state so far, the commit's own events, and the last event read. */
    private record Replayed<S, E>(S state, long version, List<E> events, RecordedEvent last) {}

    /** Offers a snapshot of a command's result; never fails: a snapshot is an optimisation. */
    Mono<Boolean> offerSnapshot(CommandResult<S, E> result, long snapshotVersion) {
        if (snapshotter == null) {
            return Mono.just(false);
        }
        return Mono.defer(() -> snapshotter.offer(result.streamId(), result.version(), result.state(), result.version() - snapshotVersion))
                .onErrorResume(e -> {
                    LOG.warn("Could not write a snapshot of {} at version {}; the command succeeded: {}",
                            result.streamId(), result.version(), e.toString());
                    return Mono.just(false);
                });
    }

    Mono<Loaded<S>> replay(StreamId streamId) {
        if (snapshotter == null) {
            return replayAll(streamId);
        }
        return snapshotter.load(streamId)
                .onErrorResume(e -> {
                    LOG.warn("Could not load the snapshot of {}; replaying it in full: {}", streamId, e.toString());
                    return Mono.empty();
                })
                .flatMap(this::replayAfter)
                .switchIfEmpty(Mono.defer(() -> replayAll(streamId)));
    }

    private Mono<Loaded<S>> replayAll(StreamId streamId) {
        return store.readStream(streamId)
                .reduce(new AggregateState<>(streamId, type.initialState(), 0), this::apply)
                .map(state -> new Loaded<>(state, 0));
    }

    /**
     * Replays the events after a snapshot, reading from the snapshot's own version so that the same
     * read proves the stream has reached it; empty when the snapshot is ahead of the stream.
     */
    private Mono<Loaded<S>> replayAfter(Snapshot<S> snapshot) {
        StreamId streamId = snapshot.streamId();
        long version = snapshot.streamVersion();
        return store.readStream(streamId, ReadOptions.forwards().fromVersion(version))
                .reduce(new Tail<>(new AggregateState<>(streamId, snapshot.state(), version), false),
                        (tail, recorded) -> recorded.streamVersion() <= version
                                ? new Tail<>(tail.state(), tail.reached() || recorded.streamVersion() == version)
                                : new Tail<>(apply(tail.state(), recorded), tail.reached()))
                .flatMap(tail -> {
                    if (tail.reached()) {
                        return Mono.just(new Loaded<>(tail.state(), version));
                    }
                    LOG.warn("Ignoring snapshot of {} at version {}: the stream has not reached that version; replaying it in full",
                            streamId, version);
                    return Mono.empty();
                });
    }

    private AggregateState<S> apply(AggregateState<S> state, RecordedEvent recorded) {
        return new AggregateState<>(state.streamId(),
                type.evolve(state.state(), serializer.deserialize(recorded, type.eventType())),
                recorded.streamVersion());
    }

    /** A loaded state and the version of the snapshot it started from (0 for a full replay). */
    record Loaded<S>(AggregateState<S> current, long snapshotVersion) {}

    /** A replay from a snapshot: the state so far, and whether the snapshot's own event was seen. */
    private record Tail<S>(AggregateState<S> state, boolean reached) {}

    Retry retrySpec(String operation) {
        return retryPolicy.onConflict()
                .scheduler(scheduler)
                .doBeforeRetry(signal -> observer.retrying(type.category(), operation, signal.failure()));
    }

    /** The observer of this repository's commands (and its multi-aggregate sibling's). */
    CommandObserver observer() {
        return observer;
    }

    /**
     * Builds an {@link AggregateRepository}.
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    public static final class Builder<S, E> {
        private final EventStore store;
        private final EventSerializer serializer;
        private final AggregateType<S, E> type;
        private RetryPolicy retryPolicy = RetryPolicy.defaults();
        private Scheduler scheduler = Schedulers.parallel();
        private Snapshotter<S> snapshotter;
        private CommandObserver observer = CommandObserver.none();
        private boolean serializeCommandsPerAggregate = true;

        private Builder(EventStore store, EventSerializer serializer, AggregateType<S, E> type) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
            this.type = Objects.requireNonNull(type, "type must not be null");
        }

        /**
         * @param policy how conflicts are retried; {@link RetryPolicy#defaults()} otherwise
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder<S, E> retryPolicy(RetryPolicy policy) {
            this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
            return this;
        }

        /**
         * @param scheduler where retry backoff waits; {@link Schedulers#parallel()} otherwise
         * @return this builder
         * @throws NullPointerException if {@code scheduler} is null
         */
        public Builder<S, E> scheduler(Scheduler scheduler) {
            this.scheduler = Objects.requireNonNull(scheduler, "scheduler must not be null");
            return this;
        }

        /**
         * Loads aggregates from snapshots and takes new ones; without this, every load replays the
         * whole stream.
         *
         * @param snapshotter the snapshot store, policy, type name, schema version and state codec
         * @return this builder
         * @throws NullPointerException if {@code snapshotter} is null
         * @throws IllegalArgumentException if the aggregate's initial state is not an instance of the
         *     snapshotter's state class
         */
        public Builder<S, E> snapshots(Snapshotter<S> snapshotter) {
            Objects.requireNonNull(snapshotter, "snapshotter must not be null");
            if (!snapshotter.stateClass().isInstance(type.initialState())) {
                throw new IllegalArgumentException("the snapshotter decodes states as " + snapshotter.stateClass().getName()
                        + ", but the initial state of " + type + " is a " + type.initialState().getClass().getName());
            }
            this.snapshotter = snapshotter;
            return this;
        }

        /**
         * Lets {@code observer} watch every command (and the conflicts it retries), for metrics and
         * tracing; {@link CommandObserver#none()} otherwise.
         *
         * @param observer the observer, such as the Spring Boot starter's {@code CommandObserver} bean
         * @return this builder
         * @throws NullPointerException if {@code observer} is null
         */
        public Builder<S, E> observer(CommandObserver observer) {
            this.observer = Objects.requireNonNull(observer, "observer must not be null");
            return this;
        }

        /**
         * Whether this repository runs the commands on one aggregate one at a time, in the order
         * they were submitted (the default), or all at once.
         *
         * <p>In turn, the commands of this repository on one aggregate never conflict with each
         * other, none waits for ever behind luckier ones, and each command starts from the state the
         * command before it left instead of loading the aggregate again (a command whose append
         * then conflicts, because another process or repository wrote meanwhile, reloads and
         * retries under the {@link RetryPolicy}). A command holds its aggregate's turn from its
         * load to its answer, its retries and its decision's I/O included: a slow decision delays
         * the commands behind it on that aggregate, never those on others. A command cancelled while
         * it waits leaves the line; a command that runs another on the same aggregate from its
         * decision runs that one at once, outside the line.
         *
         * <p>The state is handed on as it is, the very object the previous command's result
         * holds: {@code evolve} must return a new state and leave the one it is given alone (as the
         * decide/evolve style has it), or a later command would change an earlier one's result.
         *
         * <p>Turns are this repository's: another repository (or a {@link MultiAggregateRepository})
         * on the same aggregate races with it through the store's version check. A command's time
         * as an {@link CommandObserver observer} sees it includes its wait for its turn.
         *
         * <p>All at once, commands on one aggregate race: losers reload and retry under the policy,
         * and on a hot aggregate a run of luck can outlast the policy's attempts.
         *
         * @param inTurn true to run a hot aggregate's commands in turn, false to let them race
         * @return this builder
         */
        public Builder<S, E> serializeCommandsPerAggregate(boolean inTurn) {
            this.serializeCommandsPerAggregate = inTurn;
            return this;
        }

        /** @return the repository */
        public AggregateRepository<S, E> build() {
            return new AggregateRepository<>(this);
        }
    }
}
