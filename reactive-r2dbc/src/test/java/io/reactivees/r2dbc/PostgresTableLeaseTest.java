package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The table lease's builder refuses bad values at once; nothing connects. */
class PostgresTableLeaseTest {

    private final PostgresEventStore store = PostgresEventStore.connect("r2dbc:postgresql://nobody@127.0.0.1:1/none");

    @Test
    void badValuesAreRefused() {
        assertThrows(NullPointerException.class, () -> PostgresTableLease.builder(null));
        assertThrows(NullPointerException.class, () -> PostgresTableLease.builder(store).ttl(null));
        assertThrows(IllegalArgumentException.class, () -> PostgresTableLease.builder(store).ttl(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> PostgresTableLease.builder(store).renewInterval(Duration.ofSeconds(-1)));
        assertThrows(IllegalArgumentException.class, () -> PostgresTableLease.builder(store).retryInterval(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> PostgresTableLease.builder(store).timeout(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> PostgresTableLease.builder(store).scheduler(null));
        assertThrows(NullPointerException.class, () -> PostgresTableLease.builder(store).build().acquire(null));
    }

    @Test
    void aRenewalThatCannotLandBeforeTheExpiryIsRefused() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> PostgresTableLease.builder(store)
                .ttl(Duration.ofSeconds(3)).renewInterval(Duration.ofSeconds(2)).timeout(Duration.ofSeconds(1)).build());
        assertTrue(error.getMessage().contains("renewInterval + timeout must be shorter than ttl"), error.getMessage());
        PostgresTableLease.builder(store).ttl(Duration.ofSeconds(3)).build(); // a third of it, twice, fits
    }
}
