package io.reactivees.testing;

import io.reactivees.core.EventData;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
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
        given.addAll(requireAll(events));
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
        concurrent.addAll(requireAll(events));
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
                : store.append(stream, ExpectedVersion.noStream(), serialize(given)).then();
        AtomicBoolean injected = new AtomicBoolean();
        Command<S, E> withRacer = state -> {
            Mono<Void> racer = !concurrent.isEmpty() && injected.compareAndSet(false, true)
                    ? store.append(stream, ExpectedVersion.any(), serialize(concurrent)).then()
                    : Mono.empty();
            return command.decide(state).flatMap(events -> racer.thenReturn(events));
        };
        Mono<CommandResult<S, E>> outcome = history.then(repository.execute(AGGREGATE_ID, withRacer)).cache();
        return new Then<>(outcome, type);
    }

    private List<EventData> serialize(List<E> events) {
        return events.stream().map(serializer::serialize).toList();
    }

    private static <E> List<E> requireAll(E[] events) {
        Objects.requireNonNull(events, "events must not be null");
        return Arrays.stream(events).map(e -> Objects.requireNonNull(e, "an event must not be null")).toList();
    }

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

        private Then(Mono<CommandResult<S, E>> outcome, AggregateType<S, E> type) {
            this.outcome = outcome;
            this.type = type;
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
            List<E> events = requireAll(expected);
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
