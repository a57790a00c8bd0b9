package io.reactivees.r2dbc;

import io.reactivees.core.AppendResult;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import reactor.core.publisher.Mono;

/**
 * Chooses the write lane of each append. One lane while it keeps up, more when it does not:
 *
 * <ul>
 *   <li>A stream with an append pending (queued or in a commit) is pinned to that append's lane:
 *       its next append goes there too, so one stream's appends queue on one lane and are
 *       committed in the order they came. The pin goes when its last pending append is answered.
 *   <li>Otherwise the first lane takes the append while fewer than {@code spillEvents} events are
 *       pending on it, and the lane with the fewest pending events takes it beyond that.
 * </ul>
 *
 * <p>Why not spread appends over every lane always: a commit's cost is mostly its WAL flush, so one
 * lane whose commits carry many appends does more than two lanes whose commits carry half as many
 * each (measured: 16 writers of single events, 10,458 appends/s on one lane against 7,752 hashed
 * over two). A second lane pays off once the first one's database session is busy on its own
 * (64 writers, or batches of 10 events: 1.2 to 1.6 times as many appends/s on two lanes), and
 * that is what the pending events of the first lane tell.
 *
 * <p>An {@code appendAll} whose streams are pinned to different lanes goes to the lane of the first
 * of them in its own order; its other streams' pending appends on another lane may then commit after
 * it. Appends that are pending at the same time have no order between them but their streams'.
 */
final class LaneRouter {

    /**
     * Pending events on the first lane beyond which appends go to the least loaded lane. While a
     * commit carries up to 16 single-event appends, one lane's session is half idle (its WAL flush)
     * and one lane does most; beyond that its session is CPU-bound on one core, and a second lane
     * adds another (at 32, four writers of 10 events all queued on the first lane). Measured on the
     * benchmarks' 2-core machines: {@code benchmarks/README.md}, eighth pass.
     */
    static final int SPILL_EVENTS = 16;

    /** A write lane, as the router sees it ({@link WriteLane}). */
    interface Lane {
        /** @return a cold {@code Mono} that queues {@code append} on subscription and emits its results after its commit */
        Mono<List<AppendResult>> submit(List<StreamAppend> append);
    }

    private final List<Lane> lanes;
    private final int spillEvents;
    private final long[] pendingEvents;
    private final Map<StreamId, Pin> pins = new HashMap<>();

    LaneRouter(List<? extends Lane> lanes, int spillEvents) {
        this.lanes = List.copyOf(lanes);
        this.spillEvents = spillEvents;
        this.pendingEvents = new long[lanes.size()];
    }

    /**
     * Submits an append to its lane.
     *
     * @return a cold {@code Mono} that routes on subscription and emits what the lane emits; the
     *     append's pins go when the lane answers (before its subscriber sees the answer) or when it
     *     is cancelled
     */
    Mono<List<AppendResult>> submit(List<StreamAppend> append) {
        if (lanes.size() == 1) {
            return lanes.get(0).submit(append);
        }
        return Mono.defer(() -> {
            int events = AppendBatch.eventsOf(append);
            int lane = route(append, events);
            Runnable release = new Release(append, lane, events);
            return lanes.get(lane).submit(append).doOnTerminate(release).doOnCancel(release);
        });
    }

    private synchronized int route(List<StreamAppend> append, int events) {
        int lane = pinnedLane(append);
        if (lane < 0) {
            lane = pendingEvents[0] < spillEvents ? 0 : leastLoaded();
        }
        pendingEvents[lane] += events;
        for (StreamAppend entry : append) {
            pins.computeIfAbsent(entry.streamId(), key -> new Pin()).hold(lane);
        }
        return lane;
    }

    /** The lane of the append's first pinned stream, or -1. */
    private int pinnedLane(List<StreamAppend> append) {
        for (StreamAppend entry : append) {
            Pin pin = pins.get(entry.streamId());
            if (pin != null) {
                return pin.lane;
            }
        }
        return -1;
    }

    private int leastLoaded() {
        int best = 0;
        for (int i = 1; i < pendingEvents.length; i++) {
            if (pendingEvents[i] < pendingEvents[best]) {
                best = i;
            }
        }
        return best;
    }

    /** A stream's lane while it has appends pending there, and how many. */
    private static final class Pin {
        int lane;
        int pending;

        /** Counts one more pending append; the stream's lane is the newest append's. */
        void hold(int lane) {
            this.lane = lane;
            pending++;
        }

        /** @return whether that was the stream's last pending append */
        boolean release() {
            return --pending == 0;
        }
    }

    /** Releases an append's pins and pending events once, whichever of answer and cancel comes first. */
    private final class Release implements Runnable {
        private final List<StreamAppend> append;
        private final int lane;
        private final int events;
        private boolean done;

        Release(List<StreamAppend> append, int lane, int events) {
            this.append = append;
            this.lane = lane;
            this.events = events;
        }

        @Override
        public void run() {
            synchronized (LaneRouter.this) {
                if (done) {
                    return;
                }
                done = true;
                pendingEvents[lane] -= events;
                for (StreamAppend entry : append) {
                    Pin pin = pins.get(entry.streamId());
                    if (pin != null && pin.release()) {
                        pins.remove(entry.streamId());
                    }
                }
            }
        }
    }
}
