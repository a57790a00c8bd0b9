package io.reactivees.testing;

import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.MultiAggregateRepository;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.aggregate.MultiCommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Given/when/then tests for decisions over several aggregates of one type ({@link MultiCommand}), on
 * a fresh {@link InMemoryEventStore} and the real {@link MultiAggregateRepository}: events given per
 * aggregate, events expected per aggregate.
 *
 * <pre>{@code
 * MultiAggregateFixture.of(ACCOUNT, serializer)
 *         .given("a", new Opened("alice"), new Deposited(100))
 *         .given("b", new Opened("bob"))
 *         .when(List.of("a", "b"), transfer("a", "b", 30))
 *         .expectEvents("a", new Withdrawn(30))
 *         .expectEvents("b", new Deposited(30))
 *         .expectState("a", new Account("alice", 70));
 * }</pre>
 *
 * <p>Each {@code expect...} method verifies the command's outcome with {@link StepVerifier} and
 * throws {@link AssertionError} when it does not hold. {@link #givenConcurrently} makes another
 * writer append to one aggregate while the command decides; with a {@link #commandId command id},
 * {@link Then#replay()} sends the command again and {@link Then#expectOriginalResult()} checks that
 * it answered the first run's results.
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class MultiAggregateFixture<S, E> {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final AggregateType<S, E> type;
    private final EventSerializer serializer;
    private final Map<String, List<E>> given = new LinkedHashMap<>();
    private final Map<String, List<E>> concurrent = new LinkedHashMap<>();
    private RetryPolicy retryPolicy = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0);
    private String commandId; // null: the command runs without one

    private MultiAggregateFixture(AggregateType<S, E> type, EventSerializer serializer) {
        this.type = Objects.requireNonNull(type, "type must not be null");
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
    }

    /**
     * Starts a fixture.
     *
     * @param type the aggregate type under test
     * @param serializer the serializer that knows its events
     * @return a fixture with no history
     * @throws NullPointerException if an argument is null
     */
    public static <S, E> MultiAggregateFixture<S, E> of(AggregateType<S, E> type, EventSerializer serializer) {
        return new MultiAggregateFixture<>(type, serializer);
    }

    /**
     * Adds history to one aggregate: events in its stream before the command runs.
     *
     * @param id the aggregate id
     * @param events the events, in order
     * @return this fixture
     * @throws NullPointerException if the id or an event is null
     * @throws IllegalArgumentException if the id is blank
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final MultiAggregateFixture<S, E> given(String id, E... events) {
        type.streamId(id);
        given.computeIfAbsent(id, k -> new ArrayList<>()).addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Makes another writer append these events to one aggregate after the command has loaded the
     * states and before it appends, once: the command meets a conflict, and the repository reloads
     * and retries.
     *
     * @param id the aggregate id
     * @param events the concurrent events
     * @return this fixture
     * @throws NullPointerException if the id or an event is null
     * @throws IllegalArgumentException if the id is blank
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final MultiAggregateFixture<S, E> givenConcurrently(String id, E... events) {
        type.streamId(id);
        concurrent.computeIfAbsent(id, k -> new ArrayList<>()).addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Sets the repository's retry policy; three immediate attempts by default.
     *
     * @param policy the policy
     * @return this fixture
     * @throws NullPointerException if {@code policy} is null
     */
    public MultiAggregateFixture<S, E> retryPolicy(RetryPolicy policy) {
        this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
        return this;
    }

    /**
     * Runs the command under a command id, as an idempotent command; needed for {@link Then#replay()}.
     *
     * @param id the command id
     * @return this fixture
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is not a valid command id
     */
    public MultiAggregateFixture<S, E> commandId(String id) {
        this.commandId = CommandMetadata.identifiedBy(id).commandId();
        return this;
    }

    /**
     * Runs the command (once, lazily, at the first expectation) over the given aggregates, with
     * {@link MultiAggregateRepository#execute} (an aggregate without history starts from the initial
     * state).
     *
     * @param ids the aggregates the command runs on
     * @param command the command under test
     * @return the outcome to check
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code ids} is empty or names an aggregate twice
     */
    public Then<S, E> when(List<String> ids, MultiCommand<S, E> command) {
        Objects.requireNonNull(ids, "ids must not be null");
        Objects.requireNonNull(command, "command must not be null");
        EventStore store = InMemoryEventStore.create();
        MultiAggregateRepository<S, E> repository = MultiAggregateRepository.of(
                AggregateRepository.builder(store, serializer, type).retryPolicy(retryPolicy).build());
        Mono<Void> history = Flux.fromIterable(copy(given).entrySet())
                .concatMap(entry -> entry.getValue().isEmpty() ? Mono.empty()
                        : store.append(type.streamId(entry.getKey()), ExpectedVersion.noStream(), Fixtures.serialize(serializer, entry.getValue())))
                .then();
        Map<String, List<E>> racing = copy(concurrent);
        AtomicBoolean injected = new AtomicBoolean();
        MultiCommand<S, E> withRacer = states -> {
            Mono<Void> racer = !racing.isEmpty() && injected.compareAndSet(false, true)
                    ? Flux.fromIterable(racing.entrySet())
                            .concatMap(entry -> store.append(type.streamId(entry.getKey()), ExpectedVersion.any(), Fixtures.serialize(serializer, entry.getValue())))
                            .then()
                    : Mono.empty();
            return command.decide(states).flatMap(events -> racer.thenReturn(events));
        };
        MultiCommand<S, E> run = command.fingerprint()
                .map(f -> withRacer.withFingerprint(f.commandType(), f.inputHash()))
                .orElse(withRacer);
        Function<MultiCommand<S, E>, Mono<MultiCommandResult<S, E>>> execute = c -> Fixtures.identified(repository.execute(ids, c), commandId);
        // the ids are checked at call time, as the repository checks them
        Mono<MultiCommandResult<S, E>> first = history.then(execute.apply(run)).cache();
        return new Then<>(first, type, new Session<>(store, command, commandId, execute, first), null);
    }

    private static <E> Map<String, List<E>> copy(Map<String, List<E>> events) {
        Map<String, List<E>> copy = new LinkedHashMap<>();
        events.forEach((id, list) -> copy.put(id, List.copyOf(list)));
        return copy;
    }

    /** What a replay needs of the first run. */
    private record Session<S, E>(EventStore store, MultiCommand<S, E> command, String commandId,
                                 Function<MultiCommand<S, E>, Mono<MultiCommandResult<S, E>>> execute,
                                 Mono<MultiCommandResult<S, E>> first) {}

    /**
     * The outcome of a command, to check. Every method verifies at once and throws
     * {@link AssertionError} on a mismatch; they chain.
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    public static final class Then<S, E> {
        private final Mono<MultiCommandResult<S, E>> outcome;
        private final AggregateType<S, E> type;
        private final Session<S, E> session;
        private final Mono<MultiCommandResult<S, E>> original; // null unless this is a replay

        private Then(Mono<MultiCommandResult<S, E>> outcome, AggregateType<S, E> type, Session<S, E> session,
                     Mono<MultiCommandResult<S, E>> original) {
            this.outcome = outcome;
            this.type = type;
            this.session = session;
            this.original = original;
        }

        /**
         * Expects the command to have appended exactly these events to aggregate {@code id}, in order.
         *
         * @param id the aggregate id
         * @param expected the events
         * @return this
         * @throws AssertionError if the command failed, did not run on {@code id}, or appended other events to it
         */
        @SafeVarargs
        @SuppressWarnings("varargs") // the array only feeds a copy into a List
        public final Then<S, E> expectEvents(String id, E... expected) {
            List<E> events = Fixtures.requireAll(expected);
            return check(result -> events.equals(of(result, id).events()),
                    result -> "expected events " + events + " for " + id + " but the command appended " + of(result, id).events());
        }

        /**
         * Expects the command to have appended nothing to aggregate {@code id} (it may have read it).
         *
         * @param id the aggregate id
         * @return this
         * @throws AssertionError if the command failed, did not run on {@code id}, or appended to it
         */
        public Then<S, E> expectNoEvents(String id) {
            return check(result -> of(result, id).events().isEmpty(),
                    result -> "expected no events for " + id + " but the command appended " + of(result, id).events());
        }

        /**
         * Expects the command to have appended nothing at all.
         *
         * @return this
         * @throws AssertionError if the command failed or appended events
         */
        public Then<S, E> expectNoEvents() {
            return check(result -> result.aggregates().values().stream().allMatch(r -> r.events().isEmpty()),
                    result -> "expected no events but the command appended some: " + result.aggregates());
        }

        /**
         * Expects aggregate {@code id}'s state after the command to equal {@code expected}.
         *
         * @param id the aggregate id
         * @param expected the state
         * @return this
         * @throws AssertionError if the command failed or the state differs
         */
        public Then<S, E> expectState(String id, S expected) {
            return check(result -> of(result, id).state().equals(expected),
                    result -> "expected state " + expected + " for " + id + " but was " + of(result, id).state());
        }

        /**
         * Expects the command to have run {@code attempts} times.
         *
         * @param attempts the number of runs
         * @return this
         * @throws AssertionError if the command failed or ran another number of times
         */
        public Then<S, E> expectAttempts(int attempts) {
            return check(result -> result.attempts() == attempts,
                    result -> "expected " + attempts + " attempts but there were " + result.attempts());
        }

        /**
         * Expects the command to have failed with an error of this type.
         *
         * @param errorType the error type
         * @return this
         * @throws AssertionError if the command succeeded or failed otherwise
         */
        public Then<S, E> expectError(Class<? extends Throwable> errorType) {
            Objects.requireNonNull(errorType, "errorType must not be null");
            StepVerifier.create(outcome).expectError(errorType).verify(TIMEOUT);
            return this;
        }

        /**
         * Expects the command to have failed with an error that satisfies {@code condition}.
         *
         * @param condition the condition
         * @return this
         * @throws AssertionError if the command succeeded or its error does not satisfy it
         */
        public Then<S, E> expectError(Predicate<Throwable> condition) {
            Objects.requireNonNull(condition, "condition must not be null");
            StepVerifier.create(outcome).expectErrorMatches(condition).verify(TIMEOUT);
            return this;
        }

        /**
         * Sends the same command again with the same command id, after the first run has ended.
         *
         * @return the outcome of the re-run
         * @throws IllegalStateException if the fixture has no command id
         */
        public Then<S, E> replay() {
            return replayWith(session.command());
        }

        /**
         * Sends another command with the first run's command id, after the first run has ended: a
         * reused id, which should fail with {@link io.reactivees.core.aggregate.CommandIdReusedException}.
         *
         * @param other the other command
         * @return the outcome of the other command
         * @throws NullPointerException if {@code other} is null
         * @throws IllegalStateException if the fixture has no command id
         */
        public Then<S, E> replayWith(MultiCommand<S, E> other) {
            Objects.requireNonNull(other, "other must not be null");
            if (session.commandId() == null) {
                throw new IllegalStateException("a replay needs a command id: call commandId(..) before when(..)");
            }
            Mono<MultiCommandResult<S, E>> rerun = session.first().then().onErrorResume(e -> Mono.empty())
                    .then(Mono.defer(() -> session.execute().apply(other)))
                    .cache();
            return new Then<>(rerun, type, session, session.first());
        }

        /**
         * Expects a re-run ({@link #replay()}) to have answered the first run's results: marked
         * replayed, with every aggregate's state, version, events and append as the first run left
         * them, and nothing appended by the re-run.
         *
         * @return this
         * @throws AssertionError if either run failed or the re-run did not answer the original results
         * @throws IllegalStateException if this is not the outcome of a replay
         */
        public Then<S, E> expectOriginalResult() {
            if (original == null) {
                throw new IllegalStateException("expectOriginalResult() checks a replay: call replay() first");
            }
            StepVerifier.create(Mono.zip(original, outcome))
                    .assertNext(runs -> {
                        MultiCommandResult<S, E> first = runs.getT1();
                        MultiCommandResult<S, E> again = runs.getT2();
                        if (!again.replayed()) {
                            throw new AssertionError(type + ": the re-run decided again instead of answering the original result: " + again);
                        }
                        for (Map.Entry<String, CommandResult<S, E>> entry : first.aggregates().entrySet()) {
                            CommandResult<S, E> was = entry.getValue();
                            CommandResult<S, E> now = again.aggregates().get(entry.getKey());
                            if (now == null || !now.state().equals(was.state()) || now.version() != was.version()
                                    || !now.events().equals(was.events()) || !Objects.equals(now.append(), was.append())) {
                                throw new AssertionError(type + ": for " + entry.getKey() + " the re-run answered " + now
                                        + " but the original result was " + was);
                            }
                        }
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
            return this;
        }

        private static <S, E> CommandResult<S, E> of(MultiCommandResult<S, E> result, String id) {
            CommandResult<S, E> one = result.aggregates().get(id);
            if (one == null) {
                throw new AssertionError("the command did not run on " + id + "; it ran on " + result.aggregates().keySet());
            }
            return one;
        }

        private Then<S, E> check(Predicate<MultiCommandResult<S, E>> condition, Function<MultiCommandResult<S, E>, String> message) {
            StepVerifier.create(outcome)
                    .assertNext(result -> {
                        if (!condition.test(result)) {
                            throw new AssertionError(type + ": " + message.apply(result));
                        }
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
            return this;
        }
    }
}
