package io.reactivees.testing;

import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.CommandIdReusedException;
import io.reactivees.core.aggregate.MultiCommand;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The multi-aggregate fixture passes what holds and fails, with an AssertionError, what does not. */
class MultiAggregateFixtureTest {

    sealed interface PotEvent permits Put, Taken {}

    @EventType("pot.put")
    record Put(int amount) implements PotEvent {}

    @EventType("pot.taken")
    record Taken(int amount) implements PotEvent {}

    record Pot(int total) {}

    static final class Empty extends RuntimeException {
        private static final long serialVersionUID = 1L;
    }

    private static final AggregateType<Pot, PotEvent> POT = AggregateType.of("pot", PotEvent.class, new Pot(0),
            (pot, event) -> new Pot(pot.total() + (event instanceof Put put ? put.amount() : -((Taken) event).amount())));
    private static final EventSerializer SERIALIZER = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Put.class, Taken.class));

    /** Moves an amount from one pot to another, unless the first holds less. */
    private static MultiCommand<Pot, PotEvent> move(String from, String to, int amount) {
        return MultiCommand.<Pot, PotEvent>of(pots -> {
            if (pots.get(from).total() < amount) {
                throw new Empty();
            }
            return Map.of(from, List.of(new Taken(amount)), to, List.of(new Put(amount)));
        }).withFingerprint("pot.move", from + ">" + to + ":" + amount);
    }

    private MultiAggregateFixture<Pot, PotEvent> fixture() {
        return MultiAggregateFixture.of(POT, SERIALIZER);
    }

    @Test
    void eventsPerAggregateGivenAndExpected() {
        fixture().given("a", new Put(5)).given("b", new Put(1))
                .when(List.of("a", "b", "c"), move("a", "b", 3))
                .expectEvents("a", new Taken(3))
                .expectEvents("b", new Put(3))
                .expectNoEvents("c")
                .expectState("a", new Pot(2))
                .expectState("b", new Pot(4))
                .expectAttempts(1);
    }

    @Test
    void mismatchesFail() {
        var then = fixture().given("a", new Put(5)).when(List.of("a", "b"), move("a", "b", 3));
        assertThrows(AssertionError.class, () -> then.expectEvents("a", new Taken(4)));
        assertThrows(AssertionError.class, () -> then.expectNoEvents("b"));
        assertThrows(AssertionError.class, then::expectNoEvents);
        assertThrows(AssertionError.class, () -> then.expectState("b", new Pot(0)));
        assertThrows(AssertionError.class, () -> then.expectEvents("z", new Taken(3)));
        assertThrows(AssertionError.class, () -> then.expectError(Empty.class));
    }

    @Test
    void aDomainErrorIsExpected() {
        fixture().given("a", new Put(1)).when(List.of("a", "b"), move("a", "b", 3)).expectError(Empty.class);
        assertThrows(AssertionError.class, () -> fixture().given("a", new Put(1)).when(List.of("a", "b"), move("a", "b", 3))
                .expectState("a", new Pot(1)));
    }

    @Test
    void aConcurrentEventOnOneAggregateMakesTheCommandRetry() {
        fixture().given("a", new Put(5))
                .givenConcurrently("a", new Taken(4))
                .when(List.of("a", "b"), move("a", "b", 1))
                .expectAttempts(2)
                .expectState("a", new Pot(0))
                .expectState("b", new Pot(1));
        fixture().given("a", new Put(5))
                .givenConcurrently("a", new Taken(4))
                .when(List.of("a", "b"), move("a", "b", 2))
                .expectError(Empty.class);
    }

    @Test
    void aReplayWithTheSameIdAnswersTheOriginalResults() {
        fixture().given("a", new Put(5))
                .commandId("move-1")
                .when(List.of("a", "b"), move("a", "b", 2))
                .replay()
                .expectOriginalResult()
                .expectEvents("a", new Taken(2))
                .expectState("b", new Pot(2));
        fixture().given("a", new Put(5)).commandId("move-2").when(List.of("a", "b"), move("a", "b", 2))
                .replayWith(move("a", "b", 3))
                .expectError(CommandIdReusedException.class);
        var failed = fixture().commandId("move-3").when(List.of("a", "b"), move("a", "b", 2));
        assertThrows(AssertionError.class, () -> failed.replay().expectOriginalResult());
        assertThrows(IllegalStateException.class, () -> fixture().when(List.of("a", "b"), move("a", "b", 2)).replay());
    }

    @Test
    void badInputIsRejected() {
        assertThrows(NullPointerException.class, () -> MultiAggregateFixture.of(null, SERIALIZER));
        assertThrows(NullPointerException.class, () -> fixture().when(null, move("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> fixture().when(List.of(), move("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> fixture().when(List.of("a", "a"), move("a", "b", 1)));
        assertThrows(IllegalArgumentException.class, () -> fixture().given(" ", new Put(1)));
        assertThrows(NullPointerException.class, () -> fixture().given("a", (PotEvent) null));
    }
}
