package io.reactivees.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fixture passes what holds and fails, with an AssertionError, what does not. */
class AggregateFixtureTest {

    sealed interface CounterEvent permits Added {}

    @EventType("counter.added")
    record Added(int amount) implements CounterEvent {}

    record Counter(int total) {}

    static final class TooBig extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static final AggregateType<Counter, CounterEvent> COUNTER = AggregateType.of(
            "counter", CounterEvent.class, new Counter(0), (counter, event) -> new Counter(counter.total() + ((Added) event).amount()));
    private static final EventSerializer SERIALIZER = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Added.class));

    /** Adds an amount unless the total would pass 10; adds nothing for 0. */
    private static Command<Counter, CounterEvent> add(int amount) {
        return Command.of(counter -> {
            if (counter.total() + amount > 10) {
                throw new TooBig();
            }
            return amount == 0 ? List.of() : List.of(new Added(amount));
        });
    }

    private AggregateFixture<Counter, CounterEvent> fixture() {
        return AggregateFixture.of(COUNTER, SERIALIZER);
    }

    @Test
    void expectEventsAndStatePassWhenTheyHold() {
        fixture().given(new Added(2), new Added(3))
                .when(add(4))
                .expectEvents(new Added(4))
                .expectState(new Counter(9))
                .expectState(counter -> counter.total() == 9)
                .expectAttempts(1);
    }

    @Test
    void expectEventsFailsOnOtherEvents() {
        var then = fixture().given(new Added(2)).when(add(4));
        assertThrows(AssertionError.class, () -> then.expectEvents(new Added(5)));
        assertThrows(AssertionError.class, () -> then.expectEvents());
        assertThrows(AssertionError.class, then::expectNoEvents);
    }

    @Test
    void expectStateFailsOnAnotherState() {
        var then = fixture().given(new Added(2)).when(add(4));
        assertThrows(AssertionError.class, () -> then.expectState(new Counter(5)));
        assertThrows(AssertionError.class, () -> then.expectState(counter -> counter.total() > 6));
    }

    @Test
    void expectNoEventsPassesWhenNothingIsDecided() {
        fixture().given(new Added(2)).when(add(0)).expectNoEvents().expectState(new Counter(2));
    }

    @Test
    void expectErrorPassesOnTheDomainErrorAndFailsOtherwise() {
        fixture().given(new Added(8)).when(add(4)).expectError(TooBig.class).expectError(e -> e instanceof TooBig);
        var failing = fixture().given(new Added(8)).when(add(4));
        assertThrows(AssertionError.class, () -> failing.expectError(IllegalStateException.class));
        assertThrows(AssertionError.class, failing::expectNoEvents);
        assertThrows(AssertionError.class, () -> failing.expectState(new Counter(8)));
        var succeeding = fixture().when(add(1));
        assertThrows(AssertionError.class, () -> succeeding.expectError(TooBig.class));
        assertThrows(AssertionError.class, () -> succeeding.expectError(e -> true));
    }

    @Test
    void aConcurrentEventMakesTheCommandRetryOnTheNewState() {
        fixture().given(new Added(2))
                .givenConcurrently(new Added(5))
                .when(add(3))
                .expectEvents(new Added(3))
                .expectState(new Counter(10))
                .expectAttempts(2);
        assertThrows(AssertionError.class, () -> fixture().givenConcurrently(new Added(5)).when(add(3)).expectAttempts(1));
    }

    @Test
    void aConcurrentEventCanBreakTheRuleOnRetry() {
        fixture().given(new Added(2)).givenConcurrently(new Added(6)).when(add(3)).expectError(TooBig.class);
    }

    private static Command<Counter, CounterEvent> fingerprinted(int amount) {
        return add(amount).withFingerprint("counter.add", Integer.toString(amount));
    }

    @Test
    void aReplayWithTheSameIdAnswersTheOriginalResult() {
        fixture().given(new Added(2))
                .commandId("add-1")
                .when(fingerprinted(3))
                .expectEvents(new Added(3))
                .replay()
                .expectOriginalResult()
                .expectEvents(new Added(3))
                .expectState(new Counter(5));
    }

    @Test
    void aReplayAfterOtherEventsStillAnswersTheStateAtTheCommit() {
        fixture().commandId("add-2")
                .when(fingerprinted(4))
                .replayAfter(new Added(1), new Added(1))
                .expectOriginalResult()
                .expectState(new Counter(4));
    }

    @Test
    void aReplayWithAnotherCommandIsAReusedId() {
        fixture().commandId("add-3").when(fingerprinted(4)).replayWith(fingerprinted(5))
                .expectError(io.reactivees.core.aggregate.CommandIdReusedException.class);
    }

    @Test
    void expectOriginalResultFailsWhenTheReRunDecidedAgain() {
        // a domain error stored nothing, so the re-run decides again: there is no original result
        var failedFirst = fixture().given(new Added(8)).commandId("add-4").when(fingerprinted(4));
        assertThrows(AssertionError.class, () -> failedFirst.replay().expectOriginalResult());
        // a command that decided nothing stored nothing either
        var nothingFirst = fixture().commandId("add-5").when(fingerprinted(0));
        assertThrows(AssertionError.class, () -> nothingFirst.replay().expectOriginalResult());
        assertThrows(IllegalStateException.class, () -> fixture().when(add(1)).replay());
        assertThrows(IllegalStateException.class, () -> fixture().commandId("x").when(fingerprinted(1)).expectOriginalResult());
        assertThrows(IllegalArgumentException.class, () -> fixture().commandId(" "));
    }

    @Test
    void nullsAreRejected() {
        assertThrows(NullPointerException.class, () -> AggregateFixture.of(null, SERIALIZER));
        assertThrows(NullPointerException.class, () -> fixture().when(null));
        assertThrows(NullPointerException.class, () -> fixture().given((CounterEvent) null));
    }
}
