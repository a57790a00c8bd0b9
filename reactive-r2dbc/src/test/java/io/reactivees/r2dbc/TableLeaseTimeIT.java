package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.projection.ProjectionLease.Held;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.test.scheduler.VirtualTimeScheduler;

/**
 * The table lease's timing on virtual time, against a real PostgreSQL: the holder's local deadline
 * falls exactly {@code ttl} after the last renewal the database confirmed (renewals that hang do
 * not move it), and a waiting replica tries once per {@code retryInterval} and takes over at the
 * first try after the holder released. The statements run for real; only the lease's own clock
 * (its scheduler) is virtual. Between steps the test gives the statements in flight a moment of
 * real time to land before it moves the clock again.
 */
class TableLeaseTimeIT {

    private static final Duration TTL = Duration.ofSeconds(30);
    private static final Duration RENEW = Duration.ofSeconds(10);
    private static final Duration STATEMENT_DEADLINE = Duration.ofSeconds(5);
    private static final Duration RETRY = Duration.ofSeconds(1);

    private final String applicationName = PgTestSupport.applicationName("tablelease");
    private final VirtualTimeScheduler time = VirtualTimeScheduler.create();
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
        time.dispose();
        on.close();
    }

    private PostgresTableLease leaseOver(CountingConnectionFactory factory) {
        return PostgresTableLease.builder(on.storeOver(factory)).ttl(TTL).renewInterval(RENEW).timeout(STATEMENT_DEADLINE)
                .retryInterval(RETRY).scheduler(time).build();
    }

    private CountingConnectionFactory factory() {
        return new CountingConnectionFactory(PgTestSupport.namedFactory(applicationName));
    }

    /** A holder's renewal of its lease. */
    private static boolean isRenewal(String sql) {
        return sql.startsWith("UPDATE") && sql.contains("RETURNING token");
    }

    /** A waiting replica's try to take the lease. */
    private static boolean isTry(String sql) {
        return sql.contains("FOR UPDATE SKIP LOCKED");
    }

    private Map<String, Object> row(String projection) {
        return PgTestSupport.queryAsync("SELECT holder, token, expires_at FROM " + on.table("projection_leases") + " WHERE name = $1", projection)
                .block(TIMEOUT).get(0);
    }

    /** Lets what the last clock step started (a statement, its answer) run its course in real time. */
    private static void settle() {
        Mono.delay(Duration.ofMillis(300)).block(TIMEOUT);
    }

    private void advance(Duration by) {
        time.advanceTimeBy(by);
        settle();
    }

    @Test
    void theHoldersLocalDeadlineIsTheTtlAfterItsLastConfirmedRenewal() {
        CountingConnectionFactory factory = factory();
        PostgresTableLease lease = leaseOver(factory);
        Held held = lease.acquire("p").block(TIMEOUT); // sent at virtual 0 s
        assertNotNull(held);
        closing.add(() -> held.release().block(TIMEOUT));
        CompletableFuture<Void> lost = held.lost().toFuture();
        Object firstExpiry = row("p").get("expires_at");

        advance(RENEW); // 10 s: a renewal, confirmed
        assertTrue(((java.time.OffsetDateTime) row("p").get("expires_at")).isAfter((java.time.OffsetDateTime) firstExpiry),
                "the renewal moved the expiry");
        factory.hang(TableLeaseTimeIT::isRenewal); // from here renewals are sent and never answer
        advance(RENEW); // 20 s: a renewal that hangs
        advance(STATEMENT_DEADLINE); // 25 s: it meets its deadline; the next one is due at 35 s
        advance(RENEW); // 35 s: another that hangs
        advance(Duration.ofSeconds(5).minusMillis(1)); // 39.999 s
        assertFalse(lost.isDone(), "held until the ttl after the renewal confirmed at 10 s");

        time.advanceTimeBy(Duration.ofMillis(1)); // 40 s
        PgTestSupport.awaitTrue("the lease is lost at its local deadline", lost::isDone);
        assertEquals(1L, row("p").get("token"), "nobody else took it: the database's expiry comes later");
    }

    @Test
    void aWaitingReplicaTriesOncePerRetryIntervalAndTakesOverAfterTheRelease() {
        Held first = leaseOver(factory()).acquire("p").block(TIMEOUT);
        assertNotNull(first);
        CountingConnectionFactory waitingFactory = factory();
        PostgresTableLease waiting = leaseOver(waitingFactory);
        AtomicReference<Held> taken = new AtomicReference<>();
        Disposable acquiring = waiting.acquire("p").subscribe(taken::set);
        closing.add(acquiring::dispose);
        closing.add(() -> {
            Held held = taken.get();
            if (held != null) {
                held.release().block(TIMEOUT);
            }
        });
        settle();
        assertEquals(1, waitingFactory.count(TableLeaseTimeIT::isTry), "one try at once");
        for (int tries = 2; tries <= 4; tries++) {
            advance(RETRY.minusMillis(1));
            assertEquals(tries - 1, waitingFactory.count(TableLeaseTimeIT::isTry), "no try before the retry interval has passed");
            advance(Duration.ofMillis(1));
            assertEquals(tries, waitingFactory.count(TableLeaseTimeIT::isTry), "one try per retry interval");
        }
        assertNull(taken.get(), "the holder still holds it");

        first.release().block(TIMEOUT);
        advance(RETRY);
        PgTestSupport.awaitTrue("the waiting replica takes it at its next try", () -> taken.get() != null);
        assertEquals(5, waitingFactory.count(TableLeaseTimeIT::isTry));
        assertEquals(2L, row("p").get("token"), "the new holder's token is greater than the old one's");
    }

    @Test
    void aTryCancelledWhileItRunsReleasesTheLeaseItTookWhenTheAnswerComes() {
        CountingConnectionFactory slow = factory();
        slow.slow(TableLeaseTimeIT::isTry, Duration.ofMillis(700));
        AtomicReference<Held> handed = new AtomicReference<>();
        Disposable attempt = leaseOver(slow).acquire("p").subscribe(handed::set);
        PgTestSupport.await("the try took the row, its answer still on the way", () -> PgTestSupport.queryAsync(
                "SELECT token FROM " + on.table("projection_leases") + " WHERE name = $1 AND expires_at > now()", "p").map(rows -> rows.size() == 1));
        attempt.dispose();
        PgTestSupport.await("the lease it took is released once the answer came", () -> PgTestSupport.queryAsync(
                "SELECT token FROM " + on.table("projection_leases") + " WHERE name = $1 AND expires_at = '-infinity' AND token = 1", "p")
                .map(rows -> rows.size() == 1));
        assertNull(handed.get(), "a cancelled attempt hands nothing over");
        // Another replica takes it at its first try, without waiting for the ttl.
        Held next = leaseOver(factory()).acquire("p").block(TIMEOUT);
        assertNotNull(next);
        next.release().block(TIMEOUT);
    }
}
