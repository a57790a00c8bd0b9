package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The options reject bad values at once, in the builder and in the record. */
class PostgresEventStoreOptionsTest {

    @Test
    void defaultsAreSensible() {
        PostgresEventStoreOptions defaults = PostgresEventStoreOptions.defaults();
        assertEquals("reactivees", defaults.schema());
        assertEquals(1000, defaults.pageSize());
        assertEquals(1024, defaults.subscriberBufferSize());
        assertEquals(Duration.ofSeconds(1), defaults.pollInterval());
        assertEquals(1, defaults.poolInitialSize());
        assertEquals(10, defaults.poolMaxSize());
    }

    @Test
    void theBuilderSetsEveryOption() {
        PostgresEventStoreOptions options = PostgresEventStoreOptions.builder()
                .schema("orders_2")
                .pageSize(64)
                .subscriberBufferSize(16)
                .pollInterval(Duration.ofMillis(250))
                .poolSize(2, 4)
                .writeLanes(3)
                .batchBounds(10, 2048, 5)
                .maxQueuedAppends(7)
                .appendTimeouts(Duration.ofSeconds(2), Duration.ofSeconds(3))
                .build();
        assertEquals(new PostgresEventStoreOptions("orders_2", 64, 16, Duration.ofMillis(250), 2, 4,
                3, 10, 2048, 5, 7, Duration.ofSeconds(2), Duration.ofSeconds(3)), options);
    }

    @Test
    void schemaNamesThatAreNotPlainIdentifiersAreRejected() {
        PostgresEventStoreOptions.Builder builder = PostgresEventStoreOptions.builder();
        assertThrows(NullPointerException.class, () -> builder.schema(null));
        for (String bad : new String[] {"", "Orders", "1abc", "a-b", "a\"b", "a;drop", "x".repeat(49), "with space"}) {
            assertThrows(IllegalArgumentException.class, () -> builder.schema(bad), bad);
        }
    }

    @Test
    void numbersOutOfRangeAreRejected() {
        PostgresEventStoreOptions.Builder builder = PostgresEventStoreOptions.builder();
        assertThrows(IllegalArgumentException.class, () -> builder.pageSize(0));
        assertThrows(IllegalArgumentException.class, () -> builder.subscriberBufferSize(-1));
        assertThrows(IllegalArgumentException.class, () -> builder.pollInterval(Duration.ZERO));
        assertThrows(NullPointerException.class, () -> builder.pollInterval(null));
        assertThrows(IllegalArgumentException.class, () -> builder.poolSize(5, 4));
        assertThrows(IllegalArgumentException.class, () -> builder.poolSize(-1, 4));
        assertThrows(IllegalArgumentException.class, () -> builder.poolSize(0, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.writeLanes(0));
        assertThrows(IllegalArgumentException.class, () -> builder.batchBounds(0, 1, 1));
        assertThrows(IllegalArgumentException.class, () -> builder.batchBounds(1, 0, 1));
        assertThrows(IllegalArgumentException.class, () -> builder.batchBounds(1, 1, 0));
        assertThrows(IllegalArgumentException.class, () -> builder.maxQueuedAppends(0));
        assertThrows(IllegalArgumentException.class, () -> builder.appendTimeouts(Duration.ZERO, Duration.ofSeconds(1)));
        assertThrows(NullPointerException.class, () -> builder.appendTimeouts(Duration.ofSeconds(1), null));
        assertThrows(IllegalArgumentException.class,
                () -> new PostgresEventStoreOptions("s", 1, 1, Duration.ofSeconds(1), 3, 2,
                        1, 1, 1, 1, 1, Duration.ofSeconds(1), Duration.ofSeconds(1)));
    }

    @Test
    void theMigratorsLatestVersionIsItsLastStep() {
        var steps = new PostgresSchemaMigrator(io.r2dbc.spi.ConnectionFactories.get("r2dbc:postgresql://x@localhost/db"), "s").steps();
        assertEquals(PostgresSchemaMigrator.LATEST_VERSION, steps.get(steps.size() - 1).version());
        for (int i = 0; i < steps.size(); i++) {
            assertEquals(i + 1, steps.get(i).version());
        }
    }

    @Test
    void theStoreBuilderRejectsNulls() {
        assertThrows(NullPointerException.class, () -> PostgresEventStore.builder(null));
        assertThrows(NullPointerException.class, () -> PostgresEventStore.connect(null));
        assertThrows(IllegalArgumentException.class, () -> PostgresEventStore.connect("not a url"));
    }
}
