package io.reactivees.core.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/** The snapshot value types, the policies and the snapshotter's builder. */
class SnapshotValuesTest {

    private static final StreamId STREAM = StreamId.of("account", "1");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void neverNeverTakes() {
        assertSame(SnapshotPolicy.never(), SnapshotPolicy.never());
        assertFalse(SnapshotPolicy.never().shouldTake(0));
        assertFalse(SnapshotPolicy.never().shouldTake(Long.MAX_VALUE));
        assertEquals("never", SnapshotPolicy.never().toString());
    }

    @Test
    void everyEventsTakesFromItsCountOn() {
        SnapshotPolicy policy = SnapshotPolicy.everyEvents(3);
        assertFalse(policy.shouldTake(0));
        assertFalse(policy.shouldTake(2));
        assertTrue(policy.shouldTake(3));
        assertTrue(policy.shouldTake(Long.MAX_VALUE));
        assertTrue(SnapshotPolicy.everyEvents(1).shouldTake(1));
        assertFalse(SnapshotPolicy.everyEvents(1).shouldTake(0));
        assertEquals(SnapshotPolicy.everyEvents(3), policy);
        assertEquals("every 3 events", policy.toString());
    }

    @Test
    void policiesRejectBadCounts() {
        assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.everyEvents(0));
        assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.everyEvents(-5));
        assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.everyEvents(1).shouldTake(-1));
        assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.never().shouldTake(-1));
    }

    @Test
    void aStoredSnapshotHasValueSemanticsOverItsBytes() {
        StoredSnapshot a = new StoredSnapshot(STREAM, "account", 3, 1, utf8("{\"n\":1}"));
        StoredSnapshot b = new StoredSnapshot(STREAM, "account", 3, 1, utf8("{\"n\":1}"));
        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertNotEquals(a, new StoredSnapshot(STREAM, "account", 3, 1, utf8("{\"n\":2}")));
        assertNotEquals(a, new StoredSnapshot(STREAM, "account", 4, 1, utf8("{\"n\":1}")));
        assertNotEquals(a, new StoredSnapshot(STREAM, "account", 3, 2, utf8("{\"n\":1}")));
        assertNotEquals(a, new StoredSnapshot(STREAM, "other", 3, 1, utf8("{\"n\":1}")));
        assertNotEquals(a, new StoredSnapshot(StreamId.of("account", "2"), "account", 3, 1, utf8("{\"n\":1}")));
        assertEquals("{\"n\":1}", a.dataAsString());
    }

    @Test
    void aStoredSnapshotNamesItsPlaceButNeverItsState() {
        StoredSnapshot snapshot = new StoredSnapshot(STREAM, "account", 3, 2, utf8("{\"secret\":\"hunter2\"}"));
        String text = snapshot.toString();
        assertTrue(text.contains("account-1@3") && text.contains("schemaVersion=2") && text.contains("20 bytes"), text);
        assertFalse(text.contains("hunter2"), text);
    }

    @Test
    void aDecodedSnapshotValidatesItsParts() {
        Snapshot<String> snapshot = new Snapshot<>(STREAM, "account", 1, 0, "state");
        assertEquals("state", snapshot.state());
        assertThrows(NullPointerException.class, () -> new Snapshot<>(null, "account", 1, 0, "s"));
        assertThrows(NullPointerException.class, () -> new Snapshot<>(STREAM, null, 1, 0, "s"));
        assertThrows(NullPointerException.class, () -> new Snapshot<String>(STREAM, "account", 1, 0, null));
        assertThrows(IllegalArgumentException.class, () -> new Snapshot<>(STREAM, " ", 1, 0, "s"));
        assertThrows(IllegalArgumentException.class, () -> new Snapshot<>(STREAM, "account", 0, 0, "s"));
        assertThrows(IllegalArgumentException.class, () -> new Snapshot<>(STREAM, "account", 1, -1, "s"));
    }

    @Test
    void theSnapshotterBuilderRejectsBadValuesAtOnce() {
        SnapshotStore store = new NoStore();
        JsonMapper mapper = JsonMapper.builder().build();
        assertThrows(NullPointerException.class, () -> Snapshotter.builder(null, "t", mapper, String.class));
        assertThrows(NullPointerException.class, () -> Snapshotter.builder(store, null, mapper, String.class));
        assertThrows(NullPointerException.class, () -> Snapshotter.builder(store, "t", null, String.class));
        assertThrows(NullPointerException.class, () -> Snapshotter.builder(store, "t", mapper, null));
        assertThrows(IllegalArgumentException.class, () -> Snapshotter.builder(store, "  ", mapper, String.class));
        Snapshotter.Builder<String> builder = Snapshotter.builder(store, "t", mapper, String.class);
        assertThrows(IllegalArgumentException.class, () -> builder.schemaVersion(-1));
        assertThrows(NullPointerException.class, () -> builder.policy(null));
    }

    @Test
    void theSnapshotterHasSensibleDefaults() {
        Snapshotter<String> snapshotter = Snapshotter.builder(new NoStore(), "t", JsonMapper.builder().build(), String.class).build();
        assertEquals("t", snapshotter.snapshotType());
        assertEquals(1, snapshotter.schemaVersion());
        assertEquals(SnapshotPolicy.everyEvents(100), snapshotter.policy());
        assertEquals(String.class, snapshotter.stateClass());
    }

    @Test
    void theSnapshotterChecksOfferArgumentsAtCallTime() {
        Snapshotter<String> snapshotter = Snapshotter.builder(new NoStore(), "t", JsonMapper.builder().build(), String.class).build();
        assertThrows(NullPointerException.class, () -> snapshotter.offer(null, 1, "s", 1));
        assertThrows(NullPointerException.class, () -> snapshotter.offer(STREAM, 1, null, 1));
        assertThrows(IllegalArgumentException.class, () -> snapshotter.offer(STREAM, 0, "s", 1));
        assertThrows(IllegalArgumentException.class, () -> snapshotter.offer(STREAM, 1, "s", -1));
        assertThrows(NullPointerException.class, () -> snapshotter.load(null));
    }

    /** Holds nothing; checks its arguments like a real store. */
    private static final class NoStore implements SnapshotStore {
        @Override
        public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
            java.util.Objects.requireNonNull(stream, "stream must not be null");
            StoredSnapshot.requireSnapshotType(snapshotType);
            return Mono.empty();
        }

        @Override
        public Mono<Void> save(StoredSnapshot snapshot) {
            java.util.Objects.requireNonNull(snapshot, "snapshot must not be null");
            return Mono.empty();
        }
    }
}
