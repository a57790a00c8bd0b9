package io.reactivees.core.projection;

import io.reactivees.core.AppendCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.RerunTransactionException;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The runner's lifecycle on virtual time, against a scripted store, handler and lease: each state
 * and what moves it to the next, backoff without end for failures a retry may cure, a stop that
 * waits for the event being applied and the lease's release, and rebuilds.
 */
class ProjectionRunnerStateTest {

    private static final Duration MIN = Duration.ofMillis(100);
    private static final Duration MAX = Duration.ofSeconds(2);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
    private final ScriptedStore store = new ScriptedStore();
    private final ScriptedHandler handler = new ScriptedHandler();
    private final List<RunnerState> states = new CopyOnWriteArrayList<>();
    private final List<Disposable> disposables = new ArrayList<>();
    private ProjectionRunner runner;

    @AfterEach
    void stop() {
        if (runner != null) {
            runner.stop().block(TIMEOUT);
        }
        disposables.forEach(Disposable::dispose);
        time.dispose();
    }

    private ProjectionRunner runner(ProjectionLease lease) {
        ProjectionRunner.Builder builder = ProjectionRunner.builder(store, "p", EventQuery.all(), handler).backoff(MIN, MAX).scheduler(time);
        runner = (lease == null ? builder : builder.lease(lease)).build();
        disposables.add(runner.states().subscribe(states::add));
        return runner;
    }

    private static RecordedEvent event(long n) {
        return new RecordedEvent(UUID.randomUUID(), StreamId.of("item", "1"), n, Position.of(n, n), "item.touched",
                "{}".getBytes(), "{}".getBytes(), Instant.EPOCH);
    }

    @Test
    void aNewRunnerIsStoppedAndStartingRunsIt() {
        runner(null);
        assertInstanceOf(RunnerState.Stopped.class, runner.state());
        assertFalse(runner.isRunning());
        runner.start();
        assertInstanceOf(RunnerState.Running.class, runner.state());
        store.live().emit(event(1));
        assertEquals(Position.of(1, 1), handler.stored.position());
        assertEquals(Position.of(1, 1), runner.lastProcessed().orElseThrow());
    }

    @Test
    void statesReplaysTheCurrentStateToEachSubscriber() {
        runner(null).start();
        runner.states().take(1).as(StepVerifier::create)
                .assertNext(state -> assertInstanceOf(RunnerState.Running.class, state))
                .verifyComplete();
    }

    @Nested
    class FailuresARetryMayCure {

        @Test
        void backOffWithTheLastErrorThenResumeFromTheCheckpoint() {
            runner(null).start();
            store.live().emit(event(1));
            StoreUnavailableException down = new StoreUnavailableException("down", null);
            store.live().fail(down);

            RunnerState.BackingOff backingOff = assertInstanceOf(RunnerState.BackingOff.class, runner.state());
            assertSame(down, backingOff.lastError());
            assertEquals(1, backingOff.attempt());
            assertEquals(1, store.subscriptions.size());
            assertTrue(runner.isRunning(), "backing off is part of running");

            time.advanceTimeBy(MIN.dividedBy(4)); // below the shortest pause, jitter included
            assertInstanceOf(RunnerState.BackingOff.class, runner.state());
            time.advanceTimeBy(MAX);
            assertInstanceOf(RunnerState.Running.class, runner.state());
            assertEquals(2, store.subscriptions.size());
            assertEquals(2, handler.loads.get(), "the checkpoint was loaded again");
            store.live().emit(event(2));
            assertEquals(Position.of(2, 2), handler.stored.position());
        }

        @Test
        void retryForAsLongAsItTakesWithPausesThatGrowToTheMaximum() {
            runner(null).start();
            store.failEverySubscription(new StoreUnavailableException("down", null));
            store.live().fail(new StoreUnavailableException("down", null));
            // An hour of failures: never failed, the attempts counted, pauses capped at MAX.
            time.advanceTimeBy(Duration.ofHours(1));
            RunnerState.BackingOff backingOff = assertInstanceOf(RunnerState.BackingOff.class, runner.state());
            long attempts = backingOff.attempt();
            assertTrue(attempts > Duration.ofHours(1).dividedBy(MAX.multipliedBy(3).dividedBy(2)) - 10, "retried " + attempts + " times");
            assertTrue(attempts < Duration.ofHours(1).dividedBy(MAX.dividedBy(2)), "pauses grew: " + attempts + " attempts");

            store.failEverySubscription(null);
            time.advanceTimeBy(MAX.multipliedBy(2));
            assertInstanceOf(RunnerState.Running.class, runner.state());
        }

        @Test
        void aRerunTransactionErrorIsRetriedToo() {
            runner(null).start();
            handler.onApply = event -> Mono.error(new RerunTransactionException("rerun", null));
            store.live().emit(event(1));
            assertInstanceOf(RunnerState.BackingOff.class, runner.state());
            handler.onApply = event -> Mono.empty();
            time.advanceTimeBy(MAX);
            store.live().emit(event(1));
            assertEquals(Position.of(1, 1), handler.stored.position());
            assertInstanceOf(RunnerState.Running.class, runner.state());
        }

        @Test
        void aMovedCheckpointIsReloadedAtOnceWithoutBackingOff() {
            handler.fence = true;
            runner(null).start();
            store.live().emit(event(1));
            handler.stored = new Checkpoint(Position.of(3, 3), 0); // another runner applied 2 and 3
            store.live().emit(event(2));

            assertInstanceOf(RunnerState.Running.class, runner.state());
            assertEquals(2, handler.loads.get());
            assertEquals(2, store.subscriptions.size(), "resubscribed after the reloaded checkpoint at once");
            assertTrue(states.stream().noneMatch(RunnerState.BackingOff.class::isInstance), "no backoff: " + states);
            store.live().emit(event(4));
            assertEquals(Position.of(4, 4), handler.stored.position());
        }
    }

    @Nested
    class ErrorsNoRetryCures {

        @Test
        void aHandlerErrorFailsTheRunnerAndAStartResumes() {
            runner(null).start();
            IllegalStateException bug = new IllegalStateException("bug");
            handler.onApply = event -> Mono.error(bug);
            store.live().emit(event(1));
            RunnerState.Failed failed = assertInstanceOf(RunnerState.Failed.class, runner.state());
            assertSame(bug, failed.error());
            assertSame(bug, runner.failure().orElseThrow());
            assertFalse(runner.isRunning());

            handler.onApply = event -> Mono.empty();
            runner.start();
            assertInstanceOf(RunnerState.Running.class, runner.state());
            assertTrue(runner.failure().isEmpty());
            store.live().emit(event(1));
            assertEquals(Position.of(1, 1), handler.stored.position());
        }

        @Test
        void aConfigurationErrorOfTheStoreFailsTheRunner() {
            runner(null).start();
            store.live().fail(new StoreConfigurationException("not migrated", null));
            assertInstanceOf(StoreConfigurationException.class, runner.failure().orElseThrow());
            time.advanceTimeBy(Duration.ofMinutes(1));
            assertEquals(1, store.subscriptions.size(), "not retried");
        }
    }

    @Nested
    class Stopping {

        @Test
        void stopCompletesOnlyAfterTheEventBeingApplied() {
            runner(null).start();
            Sinks.Empty<Void> applying = Sinks.empty();
            handler.onApply = event -> applying.asMono();
            store.live().emit(event(1));

            AtomicBoolean stopped = new AtomicBoolean();
            disposables.add(runner.stop().subscribe(null, null, () -> stopped.set(true)));
            assertFalse(stopped.get(), "the event is still being applied");
            assertEquals(Checkpoint.START, handler.stored);

            applying.tryEmitEmpty();
            assertTrue(stopped.get());
            assertEquals(Position.of(1, 1), handler.stored.position(), "its checkpoint was saved, not cut off");
            assertInstanceOf(RunnerState.Stopped.class, runner.state());
            assertTrue(store.live().cancelled(), "the subscription was cancelled");
        }

        @Test
        void aStartDuringAStopRunsAfterTheOldRunHasEnded() {
            runner(null).start();
            Sinks.Empty<Void> applying = Sinks.empty();
            handler.onApply = event -> applying.asMono();
            store.live().emit(event(1));
            disposables.add(runner.stop().subscribe());
            handler.onApply = event -> Mono.empty();
            runner.start();
            assertEquals(1, handler.loads.get(), "the new run waits for the event the old one applies");
            applying.tryEmitEmpty();
            assertEquals(2, handler.loads.get());
            assertInstanceOf(RunnerState.Running.class, runner.state());
        }

        @Test
        void stopOfAStoppedRunnerCompletes() {
            runner(null).stop().as(StepVerifier::create).verifyComplete();
            runner.start();
            runner.stop().as(StepVerifier::create).verifyComplete();
            runner.stop().as(StepVerifier::create).verifyComplete();
            assertInstanceOf(RunnerState.Stopped.class, runner.state());
        }
    }

    @Nested
    class WithALease {

        private final ScriptedLease lease = new ScriptedLease();

        @Test
        void waitsForTheLeaseRunsWhileHoldingItAndWaitsAgainWhenLost() {
            runner(lease).start();
            assertInstanceOf(RunnerState.WaitingForLease.class, runner.state());
            assertEquals(0, store.subscriptions.size());

            ScriptedLease.Lease held = lease.grant();
            assertInstanceOf(RunnerState.Running.class, runner.state());
            store.live().emit(event(1));

            held.lose();
            assertInstanceOf(RunnerState.WaitingForLease.class, runner.state());
            assertEquals(1, held.releases.get(), "a lost lease is released");
            assertTrue(store.live().cancelled());
            lease.grant();
            assertInstanceOf(RunnerState.Running.class, runner.state());
            assertEquals(2, store.subscriptions.size());
        }

        @Test
        void stopCompletesAfterTheLeaseIsReleased() {
            runner(lease).start();
            ScriptedLease.Lease held = lease.grant();
            Sinks.Empty<Void> releasing = Sinks.empty();
            held.release = releasing.asMono();

            AtomicBoolean stopped = new AtomicBoolean();
            disposables.add(runner.stop().subscribe(null, null, () -> stopped.set(true)));
            assertEquals(1, held.releases.get());
            assertFalse(stopped.get(), "the release has not completed");
            releasing.tryEmitEmpty();
            assertTrue(stopped.get());
        }

        @Test
        void aFailureToAcquireBacksOffAndTriesAgain() {
            lease.failNext = new StoreUnavailableException("no session", null);
            runner(lease).start();
            assertInstanceOf(RunnerState.BackingOff.class, runner.state());
            time.advanceTimeBy(MAX);
            assertInstanceOf(RunnerState.WaitingForLease.class, runner.state());
            lease.grant();
            assertInstanceOf(RunnerState.Running.class, runner.state());
        }

        @Test
        void aRebuildOfAnUnfencedProjectionResetsWhileHoldingTheLease() {
            runner(lease).start();
            lease.grant();
            store.live().emit(event(1));
            AtomicBoolean heldDuringReset = new AtomicBoolean();
            handler.onReset = () -> heldDuringReset.set(lease.heldNow());

            AtomicBoolean rebuilt = new AtomicBoolean();
            disposables.add(runner.rebuild().subscribe(null, null, () -> rebuilt.set(true)));
            assertFalse(rebuilt.get(), "waits for the lease");
            assertEquals(0, handler.resets.get());
            lease.grant();
            assertEquals(1, handler.resets.get());
            assertTrue(heldDuringReset.get());
            assertTrue(rebuilt.get());
            assertInstanceOf(RunnerState.WaitingForLease.class, runner.state());
            assertTrue(runner.lastProcessed().isEmpty());
        }

        @Test
        void aRebuildOfAFencedProjectionNeedsNoLease() {
            handler.fence = true;
            runner(lease).start();
            lease.grant();
            store.live().emit(event(1));
            runner.rebuild().as(StepVerifier::create).verifyComplete();
            assertEquals(new Checkpoint(Position.START, 1), handler.stored);
        }
    }

    @Nested
    class WaitingForAPosition {

        @Test
        void completesOnceTheEventIsAppliedAndAtOnceWhenItAlreadyIs() {
            runner(null).start();
            java.util.concurrent.CompletableFuture<Void> waiting = runner.awaitApplied(Position.of(2, 2), Duration.ofSeconds(5)).toFuture();
            store.live().emit(event(1));
            time.advanceTimeBy(MIN);
            assertFalse(waiting.isDone());
            store.live().emit(event(2));
            time.advanceTimeBy(MIN);
            assertTrue(waiting.isDone() && !waiting.isCompletedExceptionally());
            runner.awaitApplied(Position.of(1, 1), Duration.ofSeconds(1)).as(StepVerifier::create).verifyComplete(); // already applied: no time passes
        }

        @Test
        void seesACheckpointAnotherReplicaMoved() {
            runner(null);
            java.util.concurrent.CompletableFuture<Void> waiting = runner.awaitApplied(Position.of(3, 3), Duration.ofSeconds(5)).toFuture();
            handler.stored = new Checkpoint(Position.of(4, 4), 0);
            time.advanceTimeBy(MIN);
            assertTrue(waiting.isDone() && !waiting.isCompletedExceptionally());
        }

        @Test
        void failsWithATypedTimeoutWhenThePositionIsNotAppliedInTime() {
            runner(null).start();
            StepVerifier.withVirtualTime(() -> runner.awaitApplied(Position.of(9, 9), Duration.ofSeconds(3)), () -> time, Long.MAX_VALUE)
                    .expectSubscription()
                    .thenAwait(Duration.ofSeconds(2))
                    .expectNoEvent(Duration.ofMillis(500))
                    .thenAwait(Duration.ofSeconds(1))
                    .expectErrorSatisfies(error -> {
                        ProjectionTimeoutException timeout = assertInstanceOf(ProjectionTimeoutException.class, error);
                        assertEquals(Position.of(9, 9), timeout.position());
                        assertEquals("p", timeout.projection());
                    })
                    .verify(TIMEOUT);
        }
    }

    @Test
    void builderRejectsBadInput() {
        assertThrows(IllegalArgumentException.class, () -> ProjectionRunner.builder(store, " ", EventQuery.all(), handler));
        assertThrows(NullPointerException.class, () -> ProjectionRunner.builder(store, "p", EventQuery.all(), null));
        assertThrows(IllegalArgumentException.class, () -> ProjectionRunner.builder(store, "p", EventQuery.all(), handler)
                .backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)));
        assertThrows(NullPointerException.class, () -> runner(null).rebuild(null));
        assertThrows(IllegalArgumentException.class, () -> runner.awaitApplied(Position.START, Duration.ofSeconds(-1)));
        assertThrows(NullPointerException.class, () -> runner.awaitApplied(null, Duration.ZERO));
    }

    // ------------------------------------------------------------------ scripted parts

    /** A subscription the test feeds by hand. */
    static final class Live {
        private final Sinks.Many<RecordedEvent> sink = Sinks.many().unicast().onBackpressureBuffer();
        private final AtomicBoolean cancelled = new AtomicBoolean();

        Flux<RecordedEvent> flux() {
            return sink.asFlux().doOnCancel(() -> cancelled.set(true));
        }

        void emit(RecordedEvent event) {
            sink.tryEmitNext(event).orThrow();
        }

        void fail(Throwable error) {
            sink.tryEmitError(error).orThrow();
        }

        boolean cancelled() {
            return cancelled.get();
        }
    }

    static final class ScriptedStore implements EventStore {
        final List<Live> subscriptions = new CopyOnWriteArrayList<>();
        private volatile Throwable failEvery;

        Live live() {
            return subscriptions.get(subscriptions.size() - 1);
        }

        void failEverySubscription(Throwable error) {
            failEvery = error;
        }

        @Override
        public Flux<RecordedEvent> subscribe(EventQuery query) {
            return Flux.defer(() -> {
                Throwable error = failEvery;
                if (error != null) {
                    return Flux.error(error);
                }
                Live live = new Live();
                subscriptions.add(live);
                return live.flux();
            });
        }

        @Override
        public Flux<RecordedEvent> load(EventQuery query) {
            return Flux.empty();
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
            return Mono.error(new UnsupportedOperationException());
        }

        @Override
        public Mono<Long> streamVersion(StreamId stream) {
            return Mono.empty();
        }

        @Override
        public Mono<RecordedEvent> readEvent(java.util.UUID eventId) {
            return Mono.empty();
        }

        @Override
        public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
            return Flux.empty();
        }
    }

    static final class ScriptedHandler implements CheckpointedHandler {
        volatile Checkpoint stored = Checkpoint.START;
        volatile boolean fence;
        volatile Function<RecordedEvent, Mono<Void>> onApply = event -> Mono.empty();
        volatile Runnable onReset = () -> {};
        final AtomicInteger loads = new AtomicInteger();
        final AtomicInteger resets = new AtomicInteger();

        @Override
        public Mono<Checkpoint> load(String projection) {
            return Mono.fromSupplier(() -> {
                loads.incrementAndGet();
                return stored;
            });
        }

        @Override
        public Mono<Checkpoint> apply(String projection, RecordedEvent event, Checkpoint expected) {
            return Mono.defer(() -> fence && !expected.equals(stored)
                    ? Mono.error(new CheckpointMovedException(projection, expected, stored))
                    : onApply.apply(event).then(Mono.fromSupplier(() -> stored = expected.at(event.position()))));
        }

        @Override
        public Mono<Void> reset(String projection) {
            return Mono.fromRunnable(() -> {
                onReset.run();
                resets.incrementAndGet();
                stored = new Checkpoint(Position.START, stored.epoch() + 1);
            });
        }

        @Override
        public boolean fenced() {
            return fence;
        }
    }

    static final class ScriptedLease implements ProjectionLease {
        private final Queue<Sinks.One<Held>> waiting = new ConcurrentLinkedQueue<>();
        private final List<Lease> granted = new CopyOnWriteArrayList<>();
        volatile Throwable failNext;

        @Override
        public Mono<Held> acquire(String projectionName) {
            return Mono.defer(() -> {
                Throwable error = failNext;
                if (error != null) {
                    failNext = null;
                    return Mono.error(error);
                }
                Sinks.One<Held> sink = Sinks.one();
                waiting.add(sink);
                return sink.asMono();
            });
        }

        Lease grant() {
            Sinks.One<Held> next = waiting.poll();
            if (next == null) {
                throw new AssertionError("nobody waits for the lease");
            }
            Lease lease = new Lease();
            granted.add(lease);
            next.tryEmitValue(lease).orThrow();
            return lease;
        }

        boolean heldNow() {
            return granted.stream().anyMatch(lease -> lease.releases.get() == 0);
        }

        static final class Lease implements Held {
            private final Sinks.Empty<Void> lost = Sinks.empty();
            final AtomicInteger releases = new AtomicInteger();
            volatile Mono<Void> release = Mono.empty();

            void lose() {
                lost.tryEmitEmpty();
            }

            @Override
            public Mono<Void> lost() {
                return lost.asMono();
            }

            @Override
            public Mono<Void> release() {
                return Mono.defer(() -> {
                    releases.incrementAndGet();
                    return release;
                });
            }
        }
    }
}
