package io.reactivees.core.aggregate;

import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository.Loaded;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one {@link MultiCommand} over several aggregates of one type in one atomic commit: a
 * transfer between two accounts, a booking that takes a seat from one flight and puts it on another.
 * It is a sibling of an {@link AggregateRepository} and works like it, through it: it loads every
 * aggregate (from its snapshot where there is one), decides once, and appends the events of every
 * aggregate in one {@link EventStore#appendAll} with each stream's {@code exact(version)}, plus a
 * check-only entry for every aggregate that was read but not written. On a
 * {@link ConcurrencyConflictException} (any of them changed meanwhile) it reloads all of them and
 * decides again, under the repository's {@link RetryPolicy}; a domain error is never retried, and a
 * decision of no events writes nothing. Every event carries the {@link CommandMetadata} of the
 * Reactor context, and snapshots of the written aggregates are offered as the repository offers them.
 *
 * <p>With a command id ({@link CommandMetadata#commandId()}) the command is idempotent as a
 * repository's single-aggregate commands are: the events' ids are derived from the command id
 * ({@link CommandIds}), and before deciding it looks up the command's first derived id in each of
 * its streams. If any is stored, the command has committed: it answers that commit's results (each
 * written aggregate at the commit's last version, each aggregate it only read as it was just before
 * the commit) with {@link MultiCommandResult#replayed()} true, decides nothing and appends nothing.
 * The fingerprint (command type, input hash, and the set of streams) is stored with the first
 * event in each written stream and compared: another command under the same id fails with
 * {@link CommandIdReusedException}.
 *
 * <pre>{@code
 * MultiAggregateRepository<Account, AccountEvent> accounts = MultiAggregateRepository.of(accountRepository);
 * accounts.update(List.of(from, to), MultiCommand.<Account, AccountEvent>of(states -> Map.of(
 *                 from, List.of(new Sent(amount)),
 *                 to, List.of(new Received(amount))))
 *         .withFingerprint("account.transfer", from + ">" + to + ":" + amount));
 * }</pre>
 *
 * <p>Every method returns a cold {@code Mono}: nothing is read or written before subscription.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class MultiAggregateRepository<S, E> {

    private enum Mode {
        UPDATE(CommandObserver.UPDATE_MANY), EXECUTE(CommandObserver.EXECUTE_MANY);

        final String operation;

        Mode(String operation) {
            this.operation = operation;
        }
    }

    private final AggregateRepository<S, E> repository;
    private final EventStore store;

    private MultiAggregateRepository(AggregateRepository<S, E> repository) {
        this.repository = repository;
        this.store = repository.store();
    }

    /**
     * Returns the multi-aggregate sibling of a repository: the same store, serializer, aggregate
     * type, retry policy, scheduler, snapshots and command observer.
     *
     * @param repository the repository of the aggregate type
     * @return the sibling
     * @throws NullPointerException if {@code repository} is null
     */
    public static <S, E> MultiAggregateRepository<S, E> of(AggregateRepository<S, E> repository) {
        return new MultiAggregateRepository<>(Objects.requireNonNull(repository, "repository must not be null"));
    }

    /** @return the repository this one works through */
    public AggregateRepository<S, E> repository() {
        return repository;
    }

    /**
     * Runs a command over existing aggregates.
     *
     * @param ids the aggregates' ids, at least one, each once; the command sees their states in this order
     * @param command the decision
     * @return a cold {@code Mono} of every aggregate's result. It fails with
     *     {@link AggregateNotFoundException} when an aggregate does not exist, with the command's domain
     *     error, with {@link IllegalArgumentException} when the command decides events for an id it
     *     was not given (or, under a command id, has no fingerprint), with
     *     {@link CommandIdReusedException} when its command id was used by another command, with
     *     {@link ConcurrencyConflictException} when conflicts outlast the retry policy, and with the
     *     store's errors. Whenever it fails, no aggregate has changed.
     * @throws NullPointerException if an argument or id is null
     * @throws IllegalArgumentException if {@code ids} is empty, names an aggregate twice, or holds a blank id
     */
    public Mono<MultiCommandResult<S, E>> update(List<String> ids, MultiCommand<S, E> command) {
        return run(ids, command, Mode.UPDATE);
    }

    /**
     * Runs a command over aggregates whether or not they exist: one that does not is seen in its
     * initial state, and the commit checks that it still does not exist (or creates it, when the
     * command writes to it).
     *
     * @param ids the aggregates' ids, at least one, each once
     * @param command the decision
     * @return a cold {@code Mono} of every aggregate's result; it fails like {@link #update} except
     *     that a missing aggregate is not an error
     * @throws NullPointerException if an argument or id is null
     * @throws IllegalArgumentException if {@code ids} is empty, names an aggregate twice, or holds a blank id
     */
    public Mono<MultiCommandResult<S, E>> execute(List<String> ids, MultiCommand<S, E> command) {
        return run(ids, command, Mode.EXECUTE);
    }

    private Mono<MultiCommandResult<S, E>> run(List<String> ids, MultiCommand<S, E> command, Mode mode) {
        Objects.requireNonNull(ids, "ids must not be null");
        Objects.requireNonNull(command, "command must not be null");
        List<String> given = List.copyOf(ids);
        if (given.isEmpty()) {
            throw new IllegalArgumentException("ids must name at least one aggregate");
        }
        if (new HashSet<>(given).size() != given.size()) {
            throw new IllegalArgumentException("ids must name each aggregate once: " + given);
        }
        Map<String, StreamId> streams = new LinkedHashMap<>();
        for (String id : given) {
            streams.put(id, repository.type().streamId(id));
        }
        return repository.observer().observe(repository.type().category(), mode.operation, Mono.deferContextual(context -> {
            CommandRun run = CommandRun.of(CommandMetadata.from(context), command.fingerprint(), List.copyOf(streams.values()));
            AtomicInteger attempts = new AtomicInteger();
            return Mono.defer(() -> {
                        int attempt = attempts.incrementAndGet();
                        Mono<MultiCommandResult<S, E>> decided = attempt(streams, command, mode, run, attempt);
                        if (!run.idempotent()) {
                            return decided;
                        }
                        return committed(streams, run, attempt)
                                .switchIfEmpty(decided.onErrorResume(run::isOwnDuplicate,
                                        e -> committed(streams, run, attempt).switchIfEmpty(Mono.error(e))));
                    })
                    .retryWhen(repository.retrySpec(mode.operation));
        }));
    }

    private Mono<MultiCommandResult<S, E>> attempt(Map<String, StreamId> streams, MultiCommand<S, E> command, Mode mode,
                                                   CommandRun run, int attempt) {
        return Flux.fromIterable(streams.values())
                .flatMapSequential(repository::replay)
                .collectList()
                .flatMap(loadedList -> {
                    Map<String, Loaded<S>> loaded = new LinkedHashMap<>();
                    Map<String, S> states = new LinkedHashMap<>();
                    int i = 0;
                    for (String id : streams.keySet()) {
                        Loaded<S> one = loadedList.get(i++);
                        if (mode == Mode.UPDATE && !one.current().exists()) {
                            return Mono.error(new AggregateNotFoundException(one.current().streamId()));
                        }
                        loaded.put(id, one);
                        states.put(id, one.current().state());
                    }
                    return command.decide(Collections.unmodifiableMap(states))
                            .defaultIfEmpty(Map.of())
                            .flatMap(decided -> write(loaded, decided, run, attempt));
                });
    }

    private Mono<MultiCommandResult<S, E>> write(Map<String, Loaded<S>> loaded, Map<String, List<E>> decided, CommandRun run,
                                                 int attempt) {
        for (String id : decided.keySet()) {
            if (!loaded.containsKey(id)) {
                return Mono.error(new IllegalArgumentException("the command decided events for aggregate " + id
                        + ", which it was not given; it runs on " + loaded.keySet()));
            }
        }
        Map<String, List<E>> events = new LinkedHashMap<>();
        boolean any = false;
        for (String id : loaded.keySet()) {
            List<E> own = decided.get(id) == null ? List.of() : List.copyOf(decided.get(id));
            events.put(id, own);
            any |= !own.isEmpty();
        }
        if (!any) {
            Map<String, CommandResult<S, E>> unchanged = new LinkedHashMap<>();
            loaded.forEach((id, one) -> unchanged.put(id, new CommandResult<>(one.current().streamId(), one.current().state(),
                    one.current().version(), List.of(), null, attempt)));
            return Mono.just(new MultiCommandResult<>(unchanged, attempt, false));
        }
        List<StreamAppend> appends = new ArrayList<>(loaded.size());
        Map<String, S> after = new LinkedHashMap<>();
        for (Map.Entry<String, Loaded<S>> entry : loaded.entrySet()) {
            AggregateState<S> current = entry.getValue().current();
            List<E> own = events.get(entry.getKey());
            ExpectedVersion expected = ExpectedVersion.exact(current.version());
            if (own.isEmpty()) {
                appends.add(StreamAppend.check(current.streamId(), expected));
            } else {
                List<EventData> data = repository.serialize(current.streamId(), own, run);
                appends.add(StreamAppend.of(current.streamId(), expected, data));
            }
            after.put(entry.getKey(), repository.evolveAll(current.state(), own));
        }
        return store.appendAll(appends).flatMap(appended -> {
            Map<String, CommandResult<S, E>> results = new LinkedHashMap<>();
            List<Mono<Boolean>> snapshots = new ArrayList<>();
            int i = 0;
            for (Map.Entry<String, Loaded<S>> entry : loaded.entrySet()) {
                AppendResult result = appended.get(i++);
                List<E> own = events.get(entry.getKey());
                CommandResult<S, E> one = new CommandResult<>(result.streamId(), after.get(entry.getKey()), result.toVersion(), own,
                        own.isEmpty() ? null : result, attempt);
                results.put(entry.getKey(), one);
                if (!own.isEmpty()) {
                    snapshots.add(repository.offerSnapshot(one, entry.getValue().snapshotVersion()));
                }
            }
            return Flux.concat(snapshots).then(Mono.just(new MultiCommandResult<>(results, attempt, false)));
        });
    }

    /**
     * The results of the idempotent command's commit, read back; empty when none of its streams
     * holds its first derived id there (it has not committed).
     */
    private Mono<MultiCommandResult<S, E>> committed(Map<String, StreamId> streams, CommandRun run, int attempt) {
        return Flux.fromIterable(streams.entrySet())
                .concatMap(entry -> store.readEvent(run.eventId(entry.getValue(), 0)).map(first -> Map.entry(entry.getKey(), first)))
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .flatMap(found -> {
                    if (found.isEmpty()) {
                        return Mono.empty();
                    }
                    Position commit = null;
                    for (RecordedEvent first : found.values()) {
                        run.requireSameCommand(first);
                        commit = commit == null || first.position().compareTo(commit) < 0 ? first.position() : commit;
                    }
                    Position before = commit;
                    return Flux.fromIterable(streams.entrySet())
                            .concatMap(entry -> {
                                RecordedEvent first = found.get(entry.getKey());
                                return first != null
                                        ? repository.committedAt(entry.getValue(), first, run, attempt)
                                        : repository.stateBefore(entry.getValue(), before).map(state -> new CommandResult<S, E>(
                                                state.streamId(), state.state(), state.version(), List.of(), null, attempt, true));
                            })
                            .collectList()
                            .map(list -> {
                                Map<String, CommandResult<S, E>> results = new LinkedHashMap<>();
                                int i = 0;
                                for (String id : streams.keySet()) {
                                    results.put(id, list.get(i++));
                                }
                                return new MultiCommandResult<>(results, attempt, true);
                            });
                });
    }

    @Override
    public String toString() {
        return "MultiAggregateRepository[" + repository.type().category() + "]";
    }
}
