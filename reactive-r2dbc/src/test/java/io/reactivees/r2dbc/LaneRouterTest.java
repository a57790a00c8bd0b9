package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** Routing decisions of {@link LaneRouter}, over lanes that answer only when told to. */
class LaneRouterTest {

    /** A lane that records what it was given and answers each append when the test says so. */
    static final class HeldLane implements LaneRouter.Lane {
        final List<Sinks.One<List<AppendResult>>> answers = Collections.synchronizedList(new ArrayList<>());

        @Override
        public Mono<List<AppendResult>> submit(List<StreamAppend> append) {
            Sinks.One<List<AppendResult>> answer = Sinks.one();
            answers.add(answer);
            return answer.asMono();
        }

        int taken() {
            return answers.size();
        }

        void answerAll() {
            new ArrayList<>(answers).forEach(a -> a.tryEmitValue(List.of()));
        }
    }

    private final HeldLane first = new HeldLane();
    private final HeldLane second = new HeldLane();
    private final LaneRouter router = new LaneRouter(List.of(first, second), 4);

    private static List<StreamAppend> append(String stream, int events) {
        List<EventData> data = IntStream.range(0, events).mapToObj(i -> EventData.of("t", "{}")).toList();
        return List.of(StreamAppend.of(StreamId.of("s", stream), ExpectedVersion.any(), data));
    }

    @Test
    void oneLaneTakesEverythingWhileItKeepsUp() {
        for (int i = 0; i < 10; i++) {
            router.submit(append("a" + i, 1)).subscribe();
            // answered before the next: nothing is ever pending beyond the spill bound
            first.answerAll();
        }
        assertEquals(10, first.taken());
        assertEquals(0, second.taken());
    }

    @Test
    void beyondTheSpillBoundTheLeastLoadedLaneTakesTheAppend() {
        router.submit(append("a", 3)).subscribe();
        router.submit(append("b", 1)).subscribe(); // 3 pending < 4: still the first lane
        router.submit(append("c", 2)).subscribe(); // 4 pending: the second lane
        router.submit(append("d", 1)).subscribe(); // 4 against 2: the second lane
        router.submit(append("e", 5)).subscribe(); // 4 against 3: the second lane
        router.submit(append("f", 1)).subscribe(); // 4 against 8: the first lane again
        assertEquals(3, first.taken());
        assertEquals(3, second.taken());
    }

    @Test
    void aStreamWithAPendingAppendKeepsToItsLane() {
        router.submit(append("busy", 4)).subscribe();
        router.submit(append("spilled", 1)).subscribe(); // the first lane is at its bound
        assertEquals(1, second.taken());
        first.answerAll(); // the first lane is empty again, but "spilled" is pending on the second
        router.submit(append("spilled", 1)).subscribe();
        router.submit(append("other", 1)).subscribe();
        assertEquals(2, second.taken());
        assertEquals(2, first.taken());
    }

    @Test
    void anAppendAllFollowsItsFirstPinnedStream() {
        router.submit(append("x", 4)).subscribe();
        router.submit(append("z", 1)).subscribe(); // pinned to the second lane
        List<StreamAppend> both = new ArrayList<>(append("y", 1));
        both.addAll(append("z", 1));
        router.submit(both).subscribe(); // y is free, z pinned: the second lane
        assertEquals(2, second.taken());
        assertEquals(1, first.taken());
    }

    @Test
    void theAnswerReleasesThePinBeforeTheSubscriberSeesIt() {
        router.submit(append("busy", 4)).subscribe();
        List<Integer> laneOfNext = new ArrayList<>();
        router.submit(append("s", 1))
                .doOnNext(results -> {
                    first.answerAll();
                    // the writer's next append, made on the answer's signal: "s" is no longer pinned
                    router.submit(append("s", 1)).subscribe();
                    laneOfNext.add(first.taken());
                })
                .subscribe();
        second.answerAll();
        assertEquals(List.of(2), laneOfNext);
        assertEquals(1, second.taken());
    }

    @Test
    void aCancelledAppendReleasesItsPinAndItsEvents() {
        Disposable big = router.submit(append("busy", 4)).subscribe();
        Disposable pinned = router.submit(append("s", 1)).subscribe();
        assertEquals(1, second.taken());
        big.dispose();
        pinned.dispose();
        router.submit(append("s", 1)).subscribe();
        router.submit(append("t", 1)).subscribe();
        assertEquals(3, first.taken());
        assertEquals(1, second.taken());
    }

    @Test
    void aFailedAppendReleasesItsPin() {
        router.submit(append("busy", 4)).subscribe();
        router.submit(append("s", 1)).subscribe(null, e -> {});
        first.answerAll();
        second.answers.get(0).tryEmitError(new IllegalStateException("conflict"));
        router.submit(append("s", 1)).subscribe();
        assertEquals(2, first.taken());
    }

    @Test
    void aSingleLaneIsUsedAsIs() {
        HeldLane only = new HeldLane();
        LaneRouter single = new LaneRouter(List.of(only), 1);
        single.submit(append("a", 10)).subscribe();
        single.submit(append("b", 10)).subscribe();
        assertEquals(2, only.taken());
    }
}
