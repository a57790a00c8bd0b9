package io.reactivees.testing;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.decision.DecisionModel;
import io.reactivees.core.decision.DecisionProjection;
import io.reactivees.core.decision.DecisionResult;
import io.reactivees.core.decision.DecisionStates;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * Given/when/then tests for decisions over the dynamic consistency boundary, on a fresh
 * {@link InMemoryEventStore} and the real {@link DecisionModel}:
 *
 * <pre>{@code
 * DecisionFixture.of(serializer, CourseEvent.class, model -> model.streamOf(CourseEvent::stream).tagsOf(CourseEvent::tags))
 *         .given(new CourseDefined("c1", 1), new StudentEnrolled("s1", "c1"))
 *         .when(List.of(courseCapacity("c1"), enrolments("s2")), enrol("s2", "c1"))
 *         .expectError(CourseFullException.class);
 * }</pre>
 *
 * <p>The history goes through the model's own routing and tags ({@link DecisionModel#toAppends}),
 * so the projections' queries select it as they would select the events of earlier decisions.
 * {@link #givenConcurrently} makes another writer append events after the decision has read and
 * before it appends, once: if the projections' queries select them, the append condition fails and
 * the model reads and decides again.
 *
 * @param <E> the event type
 */
public final class DecisionFixture<E> {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final EventSerializer serializer;
    private final Class<E> eventType;
    private final UnaryOperator<DecisionModel.Builder<E>> configure;
    private final List<E> given = new ArrayList<>();
    private final List<E> concurrent = new ArrayList<>();
    private RetryPolicy retryPolicy = new RetryPolicy(3, Duration.ZERO, Duration.ZERO, 0);

    private DecisionFixture(EventSerializer serializer, Class<E> eventType, UnaryOperator<DecisionModel.Builder<E>> configure) {
        this.serializer = Objects.requireNonNull(serializer, "serializer must not be null");
        this.eventType = Objects.requireNonNull(eventType, "eventType must not be null");
        this.configure = Objects.requireNonNull(configure, "configure must not be null");
    }

    /**
     * Starts a fixture.
     *
     * @param serializer the serializer that knows the events
     * @param eventType the events' common type
     * @param configure sets up the model under test on its builder: at least
     *     {@link DecisionModel.Builder#streamOf}, and the tags; the fixture sets the retry policy
     * @return a fixture with no history
     * @throws NullPointerException if an argument is null
     */
    public static <E> DecisionFixture<E> of(EventSerializer serializer, Class<E> eventType, UnaryOperator<DecisionModel.Builder<E>> configure) {
        return new DecisionFixture<>(serializer, eventType, configure);
    }

    /**
     * Adds history: events committed before the decision runs, routed and tagged by the model.
     *
     * @param events the events, in order
     * @return this fixture
     * @throws NullPointerException if an event is null
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final DecisionFixture<E> given(E... events) {
        given.addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Makes another writer append these events after the decision has read and decided, and before
     * it appends, once.
     *
     * @param events the concurrent events
     * @return this fixture
     * @throws NullPointerException if an event is null
     */
    @SafeVarargs
    @SuppressWarnings("varargs") // the array only feeds a copy into a List
    public final DecisionFixture<E> givenConcurrently(E... events) {
        concurrent.addAll(Fixtures.requireAll(events));
        return this;
    }

    /**
     * Sets the model's retry policy; three immediate attempts by default.
     *
     * @param policy the policy
     * @return this fixture
     * @throws NullPointerException if {@code policy} is null
     */
    public DecisionFixture<E> retryPolicy(RetryPolicy policy) {
        this.retryPolicy = Objects.requireNonNull(policy, "policy must not be null");
        return this;
    }

    /**
     * Runs a decision over one projection (once, lazily, at the first expectation).
     *
     * @param projection what the decision reads
     * @param decision the decision under test
     * @return the outcome to check
     * @throws NullPointerException if an argument is null
     */
    public <S> Then<E> when(DecisionProjection<S, E> projection, Function<S, List<E>> decision) {
        Objects.requireNonNull(projection, "projection must not be null");
        Objects.requireNonNull(decision, "decision must not be null");
        return when(List.of(projection), states -> decision.apply(states.get(projection)));
    }

    /**
     * Runs a decision over several projections (once, lazily, at the first expectation).
     *
     * @param projections what the decision reads
     * @param decision the decision under test
     * @return the outcome to check
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code projections} is empty
     */
    public Then<E> when(List<? extends DecisionProjection<?, E>> projections, Function<DecisionStates, List<E>> decision) {
        Objects.requireNonNull(decision, "decision must not be null");
        EventStore store = InMemoryEventStore.create();
        DecisionModel<E> model = configure.apply(DecisionModel.builder(store, serializer, eventType)).retryPolicy(retryPolicy).build();
        Mono<Void> history = given.isEmpty() ? Mono.empty() : store.appendAll(model.toAppends(given)).then();
        AtomicBoolean injected = new AtomicBoolean();
        Mono<DecisionResult<E>> run = model.decideAsync(projections, states -> {
            List<E> events = decision.apply(states);
            Mono<Void> racer = !concurrent.isEmpty() && injected.compareAndSet(false, true)
                    ? store.appendAll(model.toAppends(concurrent)).then()
                    : Mono.empty();
            return racer.thenReturn(events);
        });
        return new Then<>(history.then(run).cache());
    }

    /**
     * The outcome of a decision, to check. Every method verifies at once and throws
     * {@link AssertionError} on a mismatch; they chain.
     *
     * @param <E> the event type
     */
    public static final class Then<E> {
        private final Mono<DecisionResult<E>> outcome;

        private Then(Mono<DecisionResult<E>> outcome) {
            this.outcome = outcome;
        }

        /**
         * Expects the decision to have appended exactly these events, in order.
         *
         * @param expected the events
         * @return this
         * @throws AssertionError if the decision failed or appended other events
         */
        @SafeVarargs
        @SuppressWarnings("varargs") // the array only feeds a copy into a List
        public final Then<E> expectEvents(E... expected) {
            List<E> events = Fixtures.requireAll(expected);
            return check(result -> result.events().equals(events) && !result.appends().isEmpty(),
                    result -> "expected events " + events + " but the decision appended " + result.events());
        }

        /**
         * Expects the decision to have succeeded without appending anything.
         *
         * @return this
         * @throws AssertionError if the decision failed or appended events
         */
        public Then<E> expectNoEvents() {
            return check(result -> result.events().isEmpty(), result -> "expected no events but the decision appended " + result.events());
        }

        /**
         * Expects the state {@code projection} folded, on the decision's last attempt, to equal {@code expected}.
         *
         * @param projection one of the decision's projections
         * @param expected the state
         * @return this
         * @throws AssertionError if the decision failed or the state differs
         */
        public <S> Then<E> expectState(DecisionProjection<S, E> projection, S expected) {
            Objects.requireNonNull(projection, "projection must not be null");
            return check(result -> result.states().get(projection).equals(expected),
                    result -> "expected state " + expected + " but " + projection + " folded " + result.states().get(projection));
        }

        /**
         * Expects the decision to have run {@code attempts} times (more than once after a failed condition).
         *
         * @param attempts the number of runs
         * @return this
         * @throws AssertionError if the decision failed or ran another number of times
         */
        public Then<E> expectAttempts(int attempts) {
            return check(result -> result.attempts() == attempts, result -> "expected " + attempts + " attempts but there were " + result.attempts());
        }

        /**
         * Expects the decision to have failed with an error of this type (and nothing appended).
         *
         * @param errorType the error type
         * @return this
         * @throws AssertionError if the decision succeeded or failed otherwise
         */
        public Then<E> expectError(Class<? extends Throwable> errorType) {
            Objects.requireNonNull(errorType, "errorType must not be null");
            StepVerifier.create(outcome).expectError(errorType).verify(TIMEOUT);
            return this;
        }

        /**
         * Expects the decision to have failed with an error that satisfies {@code condition}.
         *
         * @param condition the condition
         * @return this
         * @throws AssertionError if the decision succeeded or its error does not satisfy it
         */
        public Then<E> expectError(Predicate<Throwable> condition) {
            Objects.requireNonNull(condition, "condition must not be null");
            StepVerifier.create(outcome).expectErrorMatches(condition).verify(TIMEOUT);
            return this;
        }

        private Then<E> check(Predicate<DecisionResult<E>> condition, Function<DecisionResult<E>, String> message) {
            StepVerifier.create(outcome)
                    .assertNext(result -> {
                        if (!condition.test(result)) {
                            throw new AssertionError("decision: " + message.apply(result));
                        }
                    })
                    .expectComplete()
                    .verify(TIMEOUT);
            return this;
        }
    }
}
