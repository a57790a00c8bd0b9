package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionLease.Held;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The advisory-lock lease on a real PostgreSQL: one session per lease object for all its
 * projections, waiting on that session without opening connections, cancelled attempts that leave
 * no lock behind, and a holder whose probe stops answering losing its lease at its own deadline.
 */
class ProjectionLeaseIT {

    private final String applicationName = PgTestSupport.applicationName("lease");
    /** The lease's probe of its session. */
    private static final java.util.function.Predicate<String> PROBE = "SELECT 1"::equals;

    private final List<Runnable> closing = new ArrayList<>();
    private StoreOnSchema on;

    @BeforeEach
    void schema() {
        on = PgTestSupport.newStore(options -> options);
    }

    @AfterEach
    void close() {
        for (int i = closing.size() - 1; i >= 0; i--) {
            closing.get(i).run();
        }
        on.close();
    }

    private Held acquired(ProjectionLease lease, String projection) {
        Held held = lease.acquire(projection).block(TIMEOUT);
        assertNotNull(held);
        closing.add(() -> held.release().block(TIMEOUT));
        return held;
    }

    /** The backends holding the advisory lock of {@code projection}. */
    private Set<Integer> holders(String projection) {
        return holdersOf(projection).block(TIMEOUT);
    }

    private Mono<Set<Integer>> holdersOf(String projection) {
        return PgTestSupport.queryAsync("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
                        + " AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)", on.schema + ":" + projection)
                .map(rows -> Set.copyOf(rows.stream().map(row -> (Integer) row.get("pid")).toList()));
    }

    private long backendsOfThisTest() {
        return (Long) PgTestSupport.queryAsync("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", applicationName)
                .block(TIMEOUT).get(0).get("n");
    }

    @Test
    void oneSessionHoldsEveryLeaseOfAReplicaAndClosesWhenNoneIsHeld() {
        PostgresProjectionLease lease = PostgresProjectionLease.of(on.storeOver(PgTestSupport.namedFactory(applicationName)), Duration.ofMillis(50));
        Held a = acquired(lease, "a");
        Held b = acquired(lease, "b");
        Set<Integer> holdersOfA = holders("a");
        assertEquals(1, holdersOfA.size());
        assertEquals(holdersOfA, holders("b"), "both leases on one session");
        assertEquals(1L, backendsOfThisTest());

        // Within the replica too, one holder at a time (session locks are re-entrant; the lease is not).
        lease.acquire("a").as(StepVerifier::create).expectSubscription().expectNoEvent(Duration.ofMillis(300)).thenCancel().verify(TIMEOUT);
        a.release().block(TIMEOUT);
        Held again = acquired(lease, "a");
        again.release().block(TIMEOUT);
        b.release().block(TIMEOUT);
        PgTestSupport.await("the idle lease closed its session", () -> Mono.fromCallable(() -> backendsOfThisTest() == 0L)
                .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()));
        assertEquals(Set.of(), holders("a"));
    }

    @Test
    void aWaitingReplicaTriesOnOneSessionAndTakesOverWhenTheHolderReleases() {
        Held first = acquired(PostgresProjectionLease.of(on.storeOver(PostgresTestDatabase.connectionFactory()), Duration.ofMillis(50)), "p");
        CountingConnectionFactory counting = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        PostgresProjectionLease waiting = PostgresProjectionLease.of(on.storeOver(counting), Duration.ofMillis(50));
        AtomicBoolean got = new AtomicBoolean();
        Disposable acquiring = waiting.acquire("p").subscribe(held -> {
            got.set(true);
            closing.add(() -> held.release().block(TIMEOUT));
        });
        closing.add(acquiring::dispose);
        PgTestSupport.awaitTrue("the waiting replica tried ten times", () -> counting.count(ProjectionLeaseIT::isLockAttempt) >= 10);
        // the session, and one short-lived connection that checked, when it opened, that it keeps its session
        assertEquals(2, counting.created(), "one session for all its attempts");
        assertTrue(!got.get());

        first.release().block(TIMEOUT);
        PgTestSupport.awaitTrue("the waiting replica holds the lease", got::get);
        assertEquals(2, counting.created());
    }

    @Test
    void cancelledAttemptsLeaveNoLockBehind() {
        PostgresProjectionLease lease = PostgresProjectionLease.of(on.storeOver(PgTestSupport.namedFactory(applicationName)), Duration.ofMillis(20));
        Held keepsTheSessionOpen = acquired(lease, "other");
        for (int i = 0; i < 40; i++) {
            Disposable attempt = lease.acquire("p").subscribe(held -> held.release().subscribe());
            Mono.delay(Duration.ofMillis(i % 7)).block(TIMEOUT);
            attempt.dispose();
        }
        // Another replica gets it: no cancelled attempt left the lock with the first session.
        PostgresProjectionLease other = PostgresProjectionLease.of(on.storeOver(PostgresTestDatabase.connectionFactory()), Duration.ofMillis(20));
        Held taken = acquired(other, "p");
        taken.release().block(TIMEOUT);
        // And the first replica can take it again: no attempt left its claim behind either.
        acquired(lease, "p").release().block(TIMEOUT);
        keepsTheSessionOpen.release().block(TIMEOUT);
    }

    @Test
    void anAttemptCancelledWhileItsLockQueryRunsGivesTheLockUpWhenTheAnswerComes() {
        CountingConnectionFactory slow = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        PostgresProjectionLease lease = PostgresProjectionLease.of(on.storeOver(slow), Duration.ofMillis(20));
        Held keepsTheSessionOpen = acquired(lease, "other");
        slow.slow(ProjectionLeaseIT::isLockAttempt, Duration.ofMillis(700));
        AtomicBoolean handed = new AtomicBoolean();
        Disposable attempt = lease.acquire("p").subscribe(held -> handed.set(true));
        PgTestSupport.await("the server granted the lock, its answer still on the way", () -> holdersOf("p").map(pids -> pids.size() == 1));
        attempt.dispose();
        PgTestSupport.await("the lock is given up once the answer came", () -> holdersOf("p").map(Set::isEmpty));
        assertTrue(!handed.get(), "a cancelled attempt hands nothing over");

        slow.slow(sql -> false, Duration.ZERO);
        PostgresProjectionLease other = PostgresProjectionLease.of(on.storeOver(PostgresTestDatabase.connectionFactory()), Duration.ofMillis(20));
        acquired(other, "p").release().block(TIMEOUT);
        acquired(lease, "p").release().block(TIMEOUT); // and the attempt gave its claim back
        keepsTheSessionOpen.release().block(TIMEOUT);
    }

    @Test
    void aHolderWhoseProbeHangsLosesTheLeaseAtItsDeadlineAndAnotherTakesOver() {
        CountingConnectionFactory hanging = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        PostgresProjectionLease lease = PostgresProjectionLease.builder(on.storeOver(hanging))
                .retryInterval(Duration.ofMillis(50))
                .probeInterval(Duration.ofMillis(100))
                .timeout(Duration.ofMillis(400))
                .build();
        Held held = acquired(lease, "p");
        Mono<Void> lost = held.lost().cache();
        closing.add(lost.subscribe()::dispose);
        lost.as(StepVerifier::create).expectSubscription().expectNoEvent(Duration.ofMillis(600)).thenCancel().verify(TIMEOUT);

        hanging.hang(PROBE); // the probe is sent and never answers, like a paused or partitioned server
        long started = System.nanoTime();
        lost.block(TIMEOUT);
        Duration took = Duration.ofNanos(System.nanoTime() - started);
        assertTrue(took.compareTo(Duration.ofSeconds(3)) < 0, "lost within probe interval + timeout: " + took);
        // The holder closed its session, so the server released the lock and another replica takes it.
        PostgresProjectionLease other = PostgresProjectionLease.of(on.storeOver(PostgresTestDatabase.connectionFactory()), Duration.ofMillis(50));
        acquired(other, "p").release().block(TIMEOUT);
        held.release().block(TIMEOUT); // a lost lease releases without error
    }

    @Test
    void theHoldersLocalDeadlineIsProbeIntervalPlusTimeoutOnVirtualTime() {
        reactor.test.scheduler.VirtualTimeScheduler time = reactor.test.scheduler.VirtualTimeScheduler.create();
        closing.add(time::dispose);
        CountingConnectionFactory hanging = new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
        PostgresProjectionLease lease = PostgresProjectionLease.builder(on.storeOver(hanging))
                .probeInterval(Duration.ofSeconds(10))
                .timeout(Duration.ofSeconds(5))
                .scheduler(time)
                .build();
        Held held = acquired(lease, "p");
        java.util.concurrent.CompletableFuture<Void> lost = held.lost().toFuture();
        hanging.hang(PROBE);
        time.advanceTimeBy(Duration.ofSeconds(10)); // the probe is sent and never answers
        time.advanceTimeBy(Duration.ofSeconds(4));
        Mono.delay(Duration.ofMillis(300)).block(TIMEOUT);
        assertTrue(!lost.isDone(), "held until the probe's deadline");
        time.advanceTimeBy(Duration.ofSeconds(1));
        PgTestSupport.awaitTrue("the lease is lost at the deadline", lost::isDone);
        PgTestSupport.await("the holder closed its session", () -> Mono.fromCallable(() -> backendsOfThisTest() == 0L)
                .subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic()));
    }

    private static boolean isLockAttempt(String sql) {
        return sql.contains("pg_try_advisory_lock");
    }
}
