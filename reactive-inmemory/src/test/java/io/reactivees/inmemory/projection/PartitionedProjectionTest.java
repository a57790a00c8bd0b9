package io.reactivees.inmemory.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.PartitionedProjection;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.ReplicaMembership;
import io.reactivees.core.projection.Segment;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.inmemory.InMemoryEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * Partitioned projections on the in-memory store with an exclusive lease and a membership the test
 * controls: a lone replica runs every segment, a second one takes half, each stream's events go to
 * one segment in order, and a replica never holds more than its share.
 */
class PartitionedProjectionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
    private final Map<String, Object> holders = new ConcurrentHashMap<>(); // the lease: segment name -> holder
    private final Sinks.Many<Integer> members = Sinks.many().replay().latest();
    private final Map<String, List<RecordedEvent>> appliedBySegment = new ConcurrentHashMap<>();
    private final List<PartitionedProjection> started = new ArrayList<>();

    @AfterEach
    void stop() {
        started.forEach(p -> p.stop().block(WAIT));
    }

    /** An exclusive lease in memory: one holder per name; waiting holders retry every 10 ms. */
    private ProjectionLease lease() {
        return lease(reactor.core.scheduler.Schedulers.parallel());
    }

    /** The same lease, its retries timed on {@code time}. */
    private ProjectionLease lease(reactor.core.scheduler.Scheduler time) {
        Object me = new Object();
        return name -> Mono.defer(() -> holders.putIfAbsent(name, me) == null
                        ? Mono.<ProjectionLease.Held>just(new ProjectionLease.Held() {
                            @Override
                            public Mono<Void> lost() {
                                return Mono.never();
                            }

                            @Override
                            public Mono<Void> release() {
                                return Mono.fromRunnable(() -> holders.remove(name, me));
                            }
                        })
                        : Mono.<ProjectionLease.Held>empty())
                .repeatWhenEmpty(Integer.MAX_VALUE, tries -> tries.concatMap(t -> Mono.delay(Duration.ofMillis(10), time)));
    }

    private final ReplicaMembership membership = group -> members.asFlux();

    private PartitionedProjection replica() {
        return replica(reactor.core.scheduler.Schedulers.parallel());
    }

    private PartitionedProjection replica(reactor.core.scheduler.Scheduler scheduler) {
        PartitionedProjection projection = PartitionedProjection.builder("p", 4,
                        name -> ProjectionRunner.builder(store, checkpoints, Projection.of(name, EventQuery.all(), event -> Mono.fromRunnable(() ->
                                appliedBySegment.computeIfAbsent("s" + Segment.of(event.streamId(), 4), k -> new CopyOnWriteArrayList<>()).add(event)))),
                        lease(scheduler), membership)
                .rebalanceInterval(Duration.ofMillis(20))
                .attemptWindow(Duration.ofMillis(30))
                .scheduler(scheduler)
                .build();
        started.add(projection);
        return projection;
    }

    private static void await(String what, BooleanSupplier condition) {
        Flux.interval(Duration.ZERO, Duration.ofMillis(10)).filter(t -> condition.getAsBoolean()).next()
                .timeout(WAIT, Mono.error(() -> new AssertionError("timed out waiting until " + what)))
                .block();
    }

    private void append(int streams) {
        for (int i = 0; i < streams; i++) {
            store.append(StreamId.of("item", "s" + i), ExpectedVersion.any(), List.of(EventData.of("t", "{\"n\":1}"), EventData.of("t", "{\"n\":2}")))
                    .block(WAIT);
        }
    }

    @Test
    void aLoneReplicaRunsEverySegmentAndASecondTakesItsShare() {
        PartitionedProjection a = replica();
        a.start();
        members.tryEmitNext(1);
        await("the lone replica holds all four segments", () -> a.held().size() == 4);
        append(20);
        await("every event applied", () -> appliedBySegment.values().stream().mapToInt(List::size).sum() == 40);

        PartitionedProjection b = replica();
        b.start();
        members.tryEmitNext(2);
        await("two replicas hold two segments each", () -> a.held().size() == 2 && b.held().size() == 2);
        Set<Integer> all = new HashSet<>(a.held());
        all.addAll(b.held());
        assertEquals(Set.of(0, 1, 2, 3), all);
        append(20);
        await("every event applied", () -> appliedBySegment.values().stream().mapToInt(List::size).sum() == 80);
        assertTrue(a.held().size() <= a.share() && b.held().size() <= b.share(), a.held() + " " + b.held());

        // Each segment applied only its own streams, each stream in order.
        appliedBySegment.forEach((segment, events) -> {
            Map<StreamId, Long> last = new ConcurrentHashMap<>();
            for (RecordedEvent event : events) {
                assertEquals(segment, "s" + Segment.of(event.streamId(), 4));
                Long before = last.put(event.streamId(), event.streamVersion());
                assertTrue(before == null || before < event.streamVersion(), "stream " + event.streamId() + " out of order");
            }
        });
    }

    @Test
    void aReplicaTakesNothingBeforeItKnowsItsShare() {
        reactor.test.scheduler.VirtualTimeScheduler time = reactor.test.scheduler.VirtualTimeScheduler.create();
        PartitionedProjection a = replica(time);
        a.start();
        assertEquals(0, a.share());
        time.advanceTimeBy(Duration.ofSeconds(5)); // many rebalance intervals and turns at the gate
        assertEquals(Set.of(), a.held());
        assertEquals(Map.of(), holders);
        members.tryEmitNext(1);
        time.advanceTimeBy(Duration.ofSeconds(1));
        await("the replica holds every segment once it knows its share", () -> a.held().size() == 4);
        time.dispose();
    }

    /**
     * Waits (in real time) until {@code condition} holds, moving the virtual clock on by 5 ms at each
     * look, and returns how much virtual time that took.
     */
    private static Duration awaitOn(reactor.test.scheduler.VirtualTimeScheduler time, String what, BooleanSupplier condition) {
        long from = time.now(java.util.concurrent.TimeUnit.MILLISECONDS);
        await(what, () -> {
            if (condition.getAsBoolean()) {
                return true;
            }
            time.advanceTimeBy(Duration.ofMillis(5));
            return false;
        });
        return Duration.ofMillis(time.now(java.util.concurrent.TimeUnit.MILLISECONDS) - from);
    }

    /** Lets the replicas' own threads (if any) settle, with the virtual clock standing still. */
    private static void aMomentPasses() {
        Mono.delay(Duration.ofMillis(100)).block();
    }

    @Test
    void onVirtualTimeJoiningReplicasGetTheirShareAtTheNextRebalanceAndALeaverIsReplaced() {
        reactor.test.scheduler.VirtualTimeScheduler time = reactor.test.scheduler.VirtualTimeScheduler.create();
        try {
            PartitionedProjection a = replica(time);
            a.start();
            members.tryEmitNext(1);
            awaitOn(time, "the lone replica holds all four segments", () -> a.held().size() == 4);

            // b joins: a sheds only at its next rebalance check (every 20 ms of virtual time)
            time.advanceTimeBy(Duration.ofMillis(20 - time.now(java.util.concurrent.TimeUnit.MILLISECONDS) % 20)); // on a check's tick
            PartitionedProjection b = replica(time);
            b.start();
            members.tryEmitNext(2);
            time.advanceTimeBy(Duration.ofMillis(19));
            aMomentPasses();
            assertEquals(4, a.held().size(), "nobody sheds before its rebalance interval has passed");
            assertEquals(Set.of(), b.held());
            Duration handover = awaitOn(time, "two replicas hold two segments each", () -> a.held().size() == 2 && b.held().size() == 2);
            // the shed comes at the next check; the newcomer's segments then take turns at its gate (30 ms each)
            assertTrue(handover.compareTo(Duration.ofSeconds(1)) <= 0, "the handover took " + handover + " of virtual time");

            // c joins: the share is ceil(4 / 3) = 2, which a and b hold already, so nothing moves
            PartitionedProjection c = replica(time);
            c.start();
            members.tryEmitNext(3);
            time.advanceTimeBy(Duration.ofMillis(200)); // ten rebalance checks
            aMomentPasses();
            assertEquals(2, a.held().size());
            assertEquals(2, b.held().size());
            assertEquals(Set.of(), c.held(), "no replica is above its share: nothing to hand over");

            // b leaves: c takes b's segments within its share, a keeps its own
            b.stop().block(WAIT);
            members.tryEmitNext(2);
            awaitOn(time, "a and c hold two segments each", () -> a.held().size() == 2 && c.held().size() == 2);
            Set<Integer> all = new HashSet<>(a.held());
            all.addAll(c.held());
            assertEquals(Set.of(0, 1, 2, 3), all);
        } finally {
            started.forEach(p -> p.stop().block(WAIT));
            started.clear();
            time.dispose();
        }
    }

    @Test
    void badArgumentsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> PartitionedProjection.builder("p", 0, name -> null, lease(), membership));
        assertThrows(IllegalArgumentException.class, () -> PartitionedProjection.builder(" ", 2, name -> null, lease(), membership));
        assertThrows(NullPointerException.class, () -> PartitionedProjection.builder("p", 2, null, lease(), membership));
        assertThrows(IllegalArgumentException.class, () -> PartitionedProjection.builder("p", 2, name -> null, lease(), membership)
                .rebalanceInterval(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> PartitionedProjection.builder("p", 2, name -> null, lease(), membership).build());
    }
}
