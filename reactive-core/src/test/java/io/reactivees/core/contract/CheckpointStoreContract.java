package io.reactivees.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.Position;
import io.reactivees.core.projection.CheckpointStore;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

/**
 * The behaviour every {@link CheckpointStore} must have. A module extends this class and returns a
 * fresh, empty store from {@link #createStore()}.
 */
public abstract class CheckpointStoreContract {

    /** How long any single verification may take. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    /** The store under test, fresh for every test. */
    protected CheckpointStore store;

    /** @return a new, empty checkpoint store */
    protected abstract CheckpointStore createStore();

    /**
     * Releases a store made by {@link #createStore()}; does nothing by default.
     *
     * @param store the store to release
     */
    protected void disposeStore(CheckpointStore store) {}

    @BeforeEach
    void createFreshStore() {
        store = createStore();
    }

    @AfterEach
    void disposeFreshStore() {
        disposeStore(store);
    }

    private static String name() {
        return "projection-" + UUID.randomUUID();
    }

    @Nested
    class SaveAndLoad {

        @Test
        void aProjectionWithoutCheckpointLoadsEmpty() {
            store.load(name()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void aSavedPositionLoadsBack() {
            String name = name();
            store.save(name, Position.of(42, 7)).block(TIMEOUT);
            store.load(name).as(StepVerifier::create).expectNext(Position.of(42, 7)).expectComplete().verify(TIMEOUT);
        }

        @Test
        void aLaterSaveReplacesTheEarlierOne() {
            String name = name();
            store.save(name, Position.of(1, 1)).block(TIMEOUT);
            store.save(name, Position.of(3, 9)).block(TIMEOUT);
            assertEquals(Position.of(3, 9), store.load(name).block(TIMEOUT));
        }

        @Test
        void extremePositionsRoundTrip() {
            String name = name();
            Position far = Position.of(Long.MAX_VALUE, Long.MAX_VALUE);
            store.save(name, far).block(TIMEOUT);
            assertEquals(far, store.load(name).block(TIMEOUT));
            store.save(name, Position.START).block(TIMEOUT);
            assertEquals(Position.START, store.load(name).block(TIMEOUT));
        }

        @Test
        void projectionsDoNotShareCheckpoints() {
            String first = name();
            String second = name();
            store.save(first, Position.of(1, 1)).block(TIMEOUT);
            store.save(second, Position.of(2, 2)).block(TIMEOUT);
            assertEquals(Position.of(1, 1), store.load(first).block(TIMEOUT));
            assertEquals(Position.of(2, 2), store.load(second).block(TIMEOUT));
        }

        @Test
        void namesAreStoredVerbatim() {
            String odd = "it's; DROP TABLE checkpoints; -- \u00e9\u4e2d";
            store.save(odd, Position.of(5, 5)).block(TIMEOUT);
            assertEquals(Position.of(5, 5), store.load(odd).block(TIMEOUT));
        }
    }

    @Nested
    class Delete {

        @Test
        void deletingForgetsThePosition() {
            String name = name();
            store.save(name, Position.of(1, 1)).block(TIMEOUT);
            store.delete(name).block(TIMEOUT);
            store.load(name).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.save(name, Position.of(2, 2)).block(TIMEOUT);
            assertEquals(Position.of(2, 2), store.load(name).block(TIMEOUT));
        }

        @Test
        void deletingWhatIsNotThereSucceeds() {
            store.delete(name()).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }
    }

    @Nested
    class Concurrency {

        @Test
        void concurrentSavesOfManyProjectionsAreAllKept() {
            List<String> names = Flux.range(0, 32).map(i -> name()).collectList().block(TIMEOUT);
            Flux.range(0, 32).flatMap(i -> store.save(names.get(i), Position.of(i, i)), 32).then().block(TIMEOUT);
            for (int i = 0; i < 32; i++) {
                assertEquals(Position.of(i, i), store.load(names.get(i)).block(TIMEOUT));
            }
        }
    }

    @Nested
    class LazinessAndBadInput {

        @Test
        void aSaveNotSubscribedWritesNothing() {
            String name = name();
            store.save(name, Position.of(1, 1));
            store.load(name).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void badArgumentsFailAtCallTime() {
            assertThrows(NullPointerException.class, () -> store.load(null));
            assertThrows(IllegalArgumentException.class, () -> store.load(" "));
            assertThrows(NullPointerException.class, () -> store.save(name(), null));
            assertThrows(NullPointerException.class, () -> store.save(null, Position.START));
            assertThrows(IllegalArgumentException.class, () -> store.save("", Position.START));
            assertThrows(NullPointerException.class, () -> store.delete(null));
        }
    }
}
