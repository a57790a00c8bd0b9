package io.reactivees.core.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;

class CommandTurnsTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final CommandTurns<String, String> turns = new CommandTurns<>();

    /** Work that starts by recording its name and completes when its gate opens, leaving its name. */
    private static final class Gated {
        final Map<String, Sinks.One<String>> gates = new ConcurrentHashMap<>();
        final List<String> started = new CopyOnWriteArrayList<>();
        final List<String> handedOvers = Collections.synchronizedList(new ArrayList<>());

        Function<String, Mono<String>> work(String name) {
            Sinks.One<String> gate = Sinks.one();
            gates.put(name, gate);
            return handed -> {
                started.add(name);
                handedOvers.add(handed == null ? "-" : handed);
                return gate.asMono();
            };
        }

        void open(String name) {
            gates.get(name).tryEmitValue(name).orThrow();
        }
    }

    @Test
    void workOnOneKeyRunsOneAtATimeInSubmissionOrderHandingOverWhatEachLeft() {
        Gated gated = new Gated();
        List<String> answered = new CopyOnWriteArrayList<>();
        for (String name : List.of("a", "b", "c")) {
            turns.inTurn("k", gated.work(name), left -> left + "'").subscribe(answered::add);
        }
        assertEquals(List.of("a"), gated.started, "only the first runs");
        gated.open("a");
        assertEquals(List.of("a", "b"), gated.started);
        gated.open("b");
        gated.open("c");
        assertEquals(List.of("a", "b", "c"), gated.started);
        assertEquals(List.of("a", "b", "c"), answered);
        assertEquals(List.of("-", "a'", "b'"), gated.handedOvers, "each gets what the one before left; the first nothing");
        assertEquals(0, turns.activeKeys(), "an idle line is gone, with its hand-over");
    }

    @Test
    void keysDoNotWaitForEachOther() {
        Gated gated = new Gated();
        turns.inTurn("k1", gated.work("a"), left -> left).subscribe();
        turns.inTurn("k2", gated.work("b"), left -> left).subscribe();
        assertEquals(List.of("a", "b"), gated.started);
        assertEquals(2, turns.activeKeys());
    }

    @Test
    void failedWorkAnswersItsErrorAndHandsOverNothing() {
        Gated gated = new Gated();
        turns.inTurn("k", gated.work("first"), left -> left).subscribe();
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        turns.inTurn("k", handed -> Mono.<String>error(new IllegalStateException("no")), left -> left)
                .subscribe(v -> {}, errors::add);
        turns.inTurn("k", gated.work("after"), left -> left).subscribe();
        gated.open("first");
        assertEquals(1, errors.size());
        assertEquals("no", errors.get(0).getMessage());
        assertEquals(List.of("-", "-"), gated.handedOvers, "the work after a failure starts afresh");
    }

    @Test
    void workCancelledWhileWaitingNeverRunsAndTheLineGoesOn() {
        Gated gated = new Gated();
        turns.inTurn("k", gated.work("a"), left -> left).subscribe();
        Disposable waiting = turns.inTurn("k", gated.work("b"), left -> left).subscribe();
        turns.inTurn("k", gated.work("c"), left -> left).subscribe();
        waiting.dispose();
        gated.open("a");
        assertEquals(List.of("a", "c"), gated.started);
        assertEquals(List.of("-", "a"), gated.handedOvers);
        gated.open("c");
        assertEquals(0, turns.activeKeys());
    }

    @Test
    void workCancelledWhileRunningIsCancelledAndGivesTheTurnOn() {
        AtomicBoolean cancelled = new AtomicBoolean();
        Gated gated = new Gated();
        Disposable running = turns.inTurn("k", handed -> Mono.<String>never().doOnCancel(() -> cancelled.set(true)), left -> left)
                .subscribe();
        turns.inTurn("k", gated.work("next"), left -> left).subscribe();
        assertEquals(List.of(), gated.started);
        running.dispose();
        assertTrue(cancelled.get());
        assertEquals(List.of("next"), gated.started);
        assertEquals(List.of("-"), gated.handedOvers, "cancelled work hands over nothing");
    }

    @Test
    void aCallerThatSubmitsAgainAtOnceJoinsTheEndOfTheLine() {
        Gated gated = new Gated();
        List<String> order = new CopyOnWriteArrayList<>();
        Function<String, Mono<String>> again = gated.work("a-again");
        turns.inTurn("k", gated.work("a"), left -> left)
                .flatMap(a -> turns.inTurn("k", again, left -> left))
                .subscribe(order::add);
        turns.inTurn("k", gated.work("b"), left -> left).subscribe(order::add);
        gated.open("a");
        assertEquals(List.of("a", "b"), gated.started, "b waited longer than a's next");
        gated.open("b");
        gated.open("a-again");
        assertEquals(List.of("b", "a-again"), order);
    }

    @Test
    void workThatSubmitsWorkForItsOwnKeyRunsItAtOnce() {
        Mono<String> nested = turns.inTurn("k", handed -> Mono.just("inner"), left -> left);
        Mono<String> outer = turns.inTurn("k", handed -> nested.map(inner -> "outer(" + inner + ")"), left -> left);
        StepVerifier.create(outer).expectNext("outer(inner)").expectComplete().verify(TIMEOUT);
        assertEquals(0, turns.activeKeys());
    }

    @Test
    void aLongLineOfSynchronousWorkDrainsWithoutGrowingTheStack() {
        Sinks.One<String> gate = Sinks.one();
        turns.inTurn("k", handed -> gate.asMono(), left -> left).subscribe();
        int n = 100_000;
        AtomicInteger next = new AtomicInteger();
        AtomicInteger outOfOrder = new AtomicInteger();
        for (int i = 0; i < n; i++) {
            int mine = i;
            turns.inTurn("k", handed -> Mono.just(mine), left -> "after " + left).subscribe(v -> {
                if (next.getAndIncrement() != v) {
                    outOfOrder.incrementAndGet();
                }
            });
        }
        gate.tryEmitValue("first").orThrow();
        assertEquals(n, next.get());
        assertEquals(0, outOfOrder.get());
        assertEquals(0, turns.activeKeys());
    }

    @Test
    void emptyWorkAnswersEmptyAndHandsOverNothing() {
        StepVerifier.create(turns.inTurn("k", handed -> Mono.<String>empty(), left -> left)).verifyComplete();
        AtomicInteger handedNull = new AtomicInteger();
        StepVerifier.create(turns.inTurn("k", handed -> {
            if (handed == null) {
                handedNull.incrementAndGet();
            }
            return Mono.just("x");
        }, left -> left)).expectNext("x").verifyComplete();
        assertEquals(1, handedNull.get());
    }

    @Test
    void manyCallersWithRandomDelaysAndCancellationsNeverOverlapOnAKeyAndLoseNothing() {
        int keys = 4;
        int callers = 64;
        int each = 50;
        Map<String, AtomicInteger> runningPerKey = new ConcurrentHashMap<>();
        AtomicInteger overlaps = new AtomicInteger();
        AtomicInteger answered = new AtomicInteger();
        AtomicInteger cancelled = new AtomicInteger();
        AtomicInteger wrongHandOver = new AtomicInteger();
        Map<String, AtomicInteger> lastCompleted = new ConcurrentHashMap<>();
        Flux.range(0, callers)
                .flatMap(caller -> Flux.range(0, each).concatMap(i -> {
                    String key = "k" + ThreadLocalRandom.current().nextInt(keys);
                    AtomicInteger running = runningPerKey.computeIfAbsent(key, k -> new AtomicInteger());
                    AtomicInteger last = lastCompleted.computeIfAbsent(key, k -> new AtomicInteger(-1));
                    Mono<String> work = turns.inTurn(key, handed -> {
                        if (running.incrementAndGet() != 1) {
                            overlaps.incrementAndGet();
                        }
                        // A hand-over is what the last completed work of this key left.
                        if (handed != null && !handed.equals(Integer.toString(last.get()))) {
                            wrongHandOver.incrementAndGet();
                        }
                        int id = caller * each + i;
                        // Ends when its value is out or it is cancelled, once (doFinally would come
                        // after the answer, when the turn has passed on already).
                        AtomicBoolean ended = new AtomicBoolean();
                        Runnable end = () -> {
                            if (ended.compareAndSet(false, true)) {
                                running.decrementAndGet();
                            }
                        };
                        return Mono.delay(Duration.ofNanos(ThreadLocalRandom.current().nextInt(200_000)))
                                .map(tick -> Integer.toString(id))
                                .doOnNext(v -> {
                                    last.set(id);
                                    end.run();
                                })
                                .doOnCancel(end);
                    }, left -> left);
                    // One in ten callers gives up after a random while: waiting, running, or not at all.
                    Mono<String> attempt = ThreadLocalRandom.current().nextInt(10) == 0
                            ? work.timeout(Duration.ofNanos(ThreadLocalRandom.current().nextInt(300_000)),
                                    Mono.fromRunnable(cancelled::incrementAndGet))
                            : work;
                    return attempt.doOnNext(v -> answered.incrementAndGet()).subscribeOn(Schedulers.parallel());
                }), callers)
                .blockLast(TIMEOUT);
        assertEquals(0, overlaps.get(), "two pieces of work on one key ran at once");
        assertEquals(0, wrongHandOver.get(), "a hand-over that was not the last completed work's");
        assertTrue(cancelled.get() > 0, "some callers gave up");
        assertEquals(callers * each, answered.get() + cancelled.get(), "every piece of work answered or given up, none lost");
        // A caller is answered just before its turn passes on, so the last lines may still be
        // going when the last answer is in.
        Mono.fromSupplier(turns::activeKeys).filter(n -> n == 0)
                .repeatWhenEmpty(attempts -> attempts.delayElements(Duration.ofMillis(1)).take(5_000))
                .block(TIMEOUT);
        assertEquals(0, turns.activeKeys(), "every line is gone");
    }

    @Test
    void theFirstWorkGetsNoHandOver() {
        AtomicInteger calls = new AtomicInteger();
        String[] handedSeen = {"unset"};
        turns.inTurn("k", handed -> {
            calls.incrementAndGet();
            handedSeen[0] = handed;
            return Mono.just("v");
        }, left -> left).block(TIMEOUT);
        assertEquals(1, calls.get());
        assertNull(handedSeen[0]);
    }
}
