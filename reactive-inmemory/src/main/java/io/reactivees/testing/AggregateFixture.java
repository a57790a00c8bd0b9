package io.reactivees.testing;

import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandMetadata;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Given/when/then tests for aggregates, on a fresh {@link InMemoryEventStore} and the real
 * {@link AggregateRepository}:
 *
 * <pre>{@code
 * AggregateFixture.of(ACCOUNT, serializer)
 *         .given(new Opened("alice"), new Deposited(100))
 *         .when(withdraw(30))
 *         .expectEvents(new Withdrawn(30))
 *         .expectState(new Account("alice", 70));
 * }</pre>
 *
 * <p>Each {@code expect...} method verifies the command's outcome with {@link StepVerifier} and
 * throws {@link AssertionError} when it does not hold. {@link #givenConcurrently} injects events that
 * another writer appends while the command is deciding, to exercise conflict handling.
 *
 * <p>With a {@link #commandId command id} the command runs as an idempotent one, and
 * {@link Then#replay()} sends it again with the same id (as a client whose answer was lost would),
 * optionally after other events ({@link Then#replayAfter}); {@link Then#expectOriginalResult()}
 * checks that the re-run answered the first run's result and appended nothing:
 *
 * <pre>{@code
 * AggregateFixture.of(ACCOUNT, serializer)
 *         .given(new Opened("alice"))
 *         .commandId("deposit-1")
 *         .when(deposit(100).withFingerprint("account.deposit", "100"))
 *         .expectEvents(new Deposited(100))
 *         .replayAfter(new Deposited(5))
 *         .expectOriginalResult()
 *         .expectState(new Account("alice", 100));
 * }</pre>
 *
 * @param <S> the state type
 * @param <E> the event type
 */
public final class AggregateFixture<S, E> {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String AGGREGATE_ID = "under-test";

    private final AggregateType<S, E> type;
    private final EventSerializer serializer;
    private final List<E> given = new ArrayList<>();
    private final List<E> concurrent = new ArrayList<>();
    private RetryPolicy retryPolicy = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0);
    private String commandId; // null: the command runs without one

    private AggregateFixture(AggregateType<S, E> type, EventSerializer serializer) {
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
    public static <S, E> AggregateFixture<S, E> of(AggregateType<S, E> type, EventSerializer serializer) {
        return new AggregateFixture<>(type, serializer);
    }

    /**
     * Adds history: events in the aggregate's stream before the command runs.
     *
     * @param events the events, in order
     * @return this fixture
     * @throws NullPointerException if an event is null
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final AggregateFixture<S, E> given(E... events) {
        given.addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Makes another writer append these events after the command has loaded the state and before
     * it appends, once: the command meets a conflict, and the repository reloads and retries.
     *
     * @param events the concurrent events
     * @return this fixture
     * @throws NullPointerException if an event is null
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final AggregateFixture<S, E> givenConcurrently(E... events) {
        concurrent.addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Sets the repository's retry policy; three immediate attempts by default.
     *
     * @param policy the policy
     * @return this fixture
     * @throws NullPointerException if {@code policy} is null
     */
    public AggregateFixture<S, E> retryPolicy(RetryPolicy policy) {
        this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
        return this;
    }

    /**
     * Runs the command under a command id, as an idempotent command; needed for {@link Then#replay()}.
     * The command must then carry a fingerprint ({@link Command#withFingerprint}).
     *
     * @param id the command id
     * @return this fixture
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is not a valid command id (see {@link CommandMetadata})
     */
    public AggregateFixture<S, E> commandId(String id) {
        this.commandId = CommandMetadata.identifiedBy(id).commandId();
        return this;
    }

    /**
     * Runs the command (once, lazily, at the first expectation) against the given history.
     *
     * @param command the command under test
     * @return the outcome to check
     * @throws NullPointerException if {@code command} is null
     */
    public Then<S, E> when(Command<S, E> command) {
        Objects.requireNonNull(command, "command must not be null");
        EventStore store = InMemoryEventStore.create();
        StreamId stream = type.streamId(AGGREGATE_ID);
        AggregateRepository<S, E> repository = AggregateRepository.builder(store, serializer, type).retryPolicy(retryPolicy).build();
        Mono<Void> history = given.isEmpty() ? Mono.empty()
                : store.append(stream, ExpectedVersion.noStream(), Fixtures.serialize(serializer, given)).then();
        AtomicBoolean injected = new AtomicBoolean();
        Command<S, E> withRacer = state -> {
            Mono<Void> racer = !concurrent.isEmpty() && injected.compareAndSet(false, true)
                    ? store.append(stream, ExpectedVersion.any(), Fixtures.serialize(serializer, concurrent)).then()
                    : Mono.empty();
            return command.decide(state).flatMap(events -> racer.thenReturn(events));
        };
        Command<S, E> run = command.fingerprint().map(f -> withRacer.withFingerprint(f.commandType(), f.inputHash())).orElse(withRacer);
        Mono<CommandResult<S, E>> outcome = history.then(Fixtures.identified(repository.execute(AGGREGATE_ID, run), commandId)).cache();
        return new Then<>(outcome, type, new Session<>(store, repository, stream, serializer, command, commandId, outcome));
    }

    /** What a replay needs of the first run. */
    private record Session<S, E>(EventStore store, AggregateRepository<S, E> repository, StreamId stream, EventSerializer serializer,
                                 Command<S, E> command, String commandId, Mono<CommandResult<S, E>> first) {}

    /**
     * The outcome of a command, to check. Every method verifies at once and throws
     * {@link AssertionError} on a mismatch; they chain.
     *
     * @param <S> the state type
     * @param <E> the event type
     */
    public static final class Then<S, E> {
        private final Mono<CommandResult<S, E>> outcome;
        private final AggregateType<S, E> type;
        private final Session<S, E> session;
        private final Mono<CommandResult<S, E>> original; // null unless this is a replay
        private final int eventsBetween;

        private Then(Mono<CommandResult<S, E>> outcome, AggregateType<S, E> type, Session<S, E> session) {
            this(outcome, type, session, null, 0);
        }

        private Then(Mono<CommandResult<S, E>> outcome, AggregateType<S, E> type, Session<S, E> session,
                     Mono<CommandResult<S, E>> original, int eventsBetween) {
            this.outcome = outcome;
            this.type = type;
            this.session = session;
            this.original = original;
            this.eventsBetween = eventsBetween;
        }

        /**
         * Sends the same command again with the same command id, after the first run has ended (however
         * it ended). The expectations of the returned outcome check the re-run.
         *
         * @return the outcome of the re-run
         * @throws IllegalStateException if the fixture has no {@link AggregateFixture#commandId command id}
         */
        public Then<S, E> replay() {
            return replayWith(session.command(), List.of());
        }

        /**
         * Lets another writer append {@code events} after the first run, then sends the same command
         * again with the same command id: the re-run must still answer the first run's result.
         *
         * @param events the events appended in between
         * @return the outcome of the re-run
         * @throws NullPointerException if an event is null
         * @throws IllegalStateException if the fixture has no {@link AggregateFixture#commandId command id}
         */
        @SafeVarargs
        @SuppressWarnings("varargs") // the array only feeds a copy into a List
        public final Then<S, E> replayAfter(E... events) {
            return replayWith(session.command(), Fixtures.requireAll(events));
        }

        /**
         * Sends another command with the first run's command id, after the first run has ended: a
         * reused id, which should fail with {@link io.reactivees.core.aggregate.CommandIdReusedException}.
         *
         * @param other the other command
         * @return the outcome of the other command
         * @throws NullPointerException if {@code other} is null
         * @throws IllegalStateException if the fixture has no {@link AggregateFixture#commandId command id}
         */
        public Then<S, E> replayWith(Command<S, E> other) {
            return replayWith(Objects.requireNonNull(other, "other must not be null"), List.of());
        }

        private Then<S, E> replayWith(Command<S, E> command, List<E> between) {
            if (session.commandId() == null) {
                throw new IllegalStateException("a replay needs a command id: call commandId(..) before when(..)");
            }
            Mono<CommandResult<S, E>> first = session.first();
            Mono<Void> others = between.isEmpty() ? Mono.empty() : session.store().append(session.stream(), ExpectedVersion.any(),
                    between.stream().map(session.serializer()::serialize).toList()).then();
            Mono<CommandResult<S, E>> rerun = first.then().onErrorResume(e -> Mono.empty())
                    .then(others)
                    .then(Fixtures.identified(session.repository().execute(AGGREGATE_ID, command), session.commandId()))
                    .cache();
            return new Then<>(rerun, type, session, first, between.size());
        }

        /**
         * Expects a re-run ({@link #replay()}) to have answered the first run's result: marked
         * replayed, with the first run's state, version, events and append, and nothing appended by
         * the re-run.
         *
         * @return this
         * @throws AssertionError if either run failed or the re-run did not answer the original result
         * @throws IllegalStateException if this is not the outcome of a replay
         */
        public Then<S, E> expectOriginalResult() {
            if (original == null) {
                throw new IllegalStateException("expectOriginalResult() checks a replay: call replay() first");
            }
            StepVerifier.create(Mono.zip(original, outcome, session.store().streamVersion(session.stream()).defaultIfEmpty(0L)))
                    .assertNext(runs -> {
                        CommandResult<S, E> first = runs.getT1();
                        CommandResult<S, E> again = runs.getT2();
                        if (first.events().isEmpty()) {
                            throw new AssertionError(type + ": the first run appended nothing, so a re-run decides again: there is no original result to answer");
                        }
                        if (!again.replayed()) {
                            throw new AssertionError(type + ": the re-run decided again instead of answering the original result: " + again);
                        }
                        if (!again.state().equals(first.state()) || again.version() != first.version()
                                || !again.events().equals(first.events()) || !again.append().equals(first.append())) {
                            throw new AssertionError(type + ": the re-run answered " + again + " but the original result was " + first);
                        }
                        if (runs.getT3() != first.version() + eventsBetween) {
                            throw new AssertionError(type + ": the re-run appended events: the stream is at version " + runs.getT3()
                                    + ", expected " + (first.version() + eventsBetween));
                        }
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
            return this;
        }

        /**
         * Expects the command to have appended exactly these events, in order.
         *
         * @param expected the events
         * @return this
         * @throws AssertionError if the command failed or appended other events
         */
        @SafeVarargs
        @SuppressWarnings("varargs") // the array only feeds a copy into a List
        public final Then<S, E> expectEvents(E... expected) {
            List<E> events = Fixtures.requireAll(expected);
            return check(result -> result.events().equals(events), result -> "expected events " + events + " but the command appended " + result.events());
        }

        /**
         * Expects the command to have succeeded without appending anything.
         *
         * @return this
         * @throws AssertionError if the command failed or appended events
         */
        public Then<S, E> expectNoEvents() {
            return check(result -> result.events().isEmpty(), result -> "expected no events but the command appended " + result.events());
        }

        /**
         * Expects the state after the command to equal {@code expected}.
         *
         * @param expected the state
         * @return this
         * @throws AssertionError if the command failed or the state differs
         */
        public Then<S, E> expectState(S expected) {
            return check(result -> result.state().equals(expected), result -> "expected state " + expected + " but was " + result.state());
        }

        /**
         * Expects the state after the command to satisfy {@code condition}.
         *
         * @param condition the condition
         * @return this
         * @throws AssertionError if the command failed or the state does not satisfy it
         */
        public Then<S, E> expectState(Predicate<S> condition) {
            Objects.requireNonNull(condition, "condition must not be null");
            return check(result -> condition.test(result.state()), result -> "the state " + result.state() + " does not satisfy the condition");
        }

        /**
         * Expects the command to have run {@code attempts} times (more than once after conflicts).
         *
         * @param attempts the number of runs
         * @return this
         * @throws AssertionError if the command failed or ran another number of times
         */
        public Then<S, E> expectAttempts(int attempts) {
            return check(result -> result.attempts() == attempts, result -> "expected " + attempts + " attempts but there were " + result.attempts());
        }

        /**
         * Expects the command to have failed with an error of this type (and nothing appended).
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

        private Then<S, E> check(Predicate<CommandResult<S, E>> condition, java.util.function.Function<CommandResult<S, E>, String> message) {
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
