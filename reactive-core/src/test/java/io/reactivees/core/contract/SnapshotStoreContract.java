package io.reactivees.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.StoredSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.test.StepVerifier;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The behaviour every {@link SnapshotStore} must have. A store module extends this class and
 * returns a fresh, empty store from {@link #createStore()}; every test then runs against it. Nothing
 * here is ever skipped, and {@code SnapshotStoreContractGuardTest} proves the suite fails against a
 * store that does nothing.
 *
 * <p>States are compared as JSON values, since a store may normalise whitespace and key order
 * (PostgreSQL's {@code jsonb} does).
 */
public abstract class SnapshotStoreContract {

    /** How long any single verification may take. */
    protected static final Duration TIMEOUT = Duration.ofSeconds(20);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static final Comparator<JsonNode> NUMBERS_BY_VALUE = (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
            return a.decimalValue().compareTo(b.decimalValue());
        }
        return a.equals(b) ? 0 : 1;
    };

    /** The store under test, fresh for every test. */
    protected SnapshotStore store;

    /** Returns a new, empty store. Called before every test. */
    protected abstract SnapshotStore createStore();

    /** Releases a store made by {@link #createStore()}. Called after every test; does nothing by default. */
    protected void disposeStore(SnapshotStore store) {}

    @BeforeEach
    void createFreshStore() {
        store = createStore();
    }

    @AfterEach
    void disposeFreshStore() {
        disposeStore(store);
    }

    // ---------------------------------------------------------------- helpers

    /** A stream id no other test uses, in the given category. */
    protected static StreamId newStream(String category) {
        return StreamId.of(category, UUID.randomUUID().toString());
    }

    /** A snapshot of schema version 1 whose state is {@code {"n": n}}. */
    protected static StoredSnapshot snapshot(StreamId stream, String type, long version) {
        return snapshot(stream, type, version, 1, "{\"n\":" + version + "}");
    }

    protected static StoredSnapshot snapshot(StreamId stream, String type, long version, int schemaVersion, String json) {
        return new StoredSnapshot(stream, type, version, schemaVersion, json.getBytes(StandardCharsets.UTF_8));
    }

    protected void save(StoredSnapshot snapshot) {
        store.save(snapshot).block(TIMEOUT);
    }

    protected StoredSnapshot load(StreamId stream, String type) {
        return store.load(stream, type).block(TIMEOUT);
    }

    /**
     * Asserts every part is equal, the state as a JSON value: numbers compare by value, since
     * {@code jsonb} keeps {@code -12.5e3} as {@code -12500}.
     */
    protected static void assertSameSnapshot(StoredSnapshot expected, StoredSnapshot actual) {
        assertTrue(actual != null, () -> "expected " + expected + " but found no snapshot");
        assertEquals(expected.streamId(), actual.streamId());
        assertEquals(expected.snapshotType(), actual.snapshotType());
        assertEquals(expected.streamVersion(), actual.streamVersion());
        assertEquals(expected.schemaVersion(), actual.schemaVersion());
        JsonNode want = JSON.readTree(expected.data());
        JsonNode got = JSON.readTree(actual.data());
        assertTrue(want.equals(NUMBERS_BY_VALUE, got), () -> "state differs: expected " + expected.dataAsString() + " but was " + actual.dataAsString());
    }

    /** A supplier that counts its calls. */
    protected static final class CountingSupplier implements Supplier<StoredSnapshot> {
        private final StoredSnapshot snapshot;
        private final AtomicInteger calls = new AtomicInteger();

        public CountingSupplier(StoredSnapshot snapshot) {
            this.snapshot = snapshot;
        }

        @Override
        public StoredSnapshot get() {
            calls.incrementAndGet();
            return snapshot;
        }

        public int calls() {
            return calls.get();
        }
    }

    // ---------------------------------------------------------------- save and load

    @Nested
    @DisplayName("save and load")
    class SaveAndLoad {

        @Test
        void aStreamWithoutSnapshotLoadsEmpty() {
            StreamId stream = newStream("account");
            save(snapshot(newStream("account"), "account", 3));
            save(snapshot(stream, "other", 3));
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertSameSnapshot(snapshot(stream, "other", 3), load(stream, "other"));
        }

        @Test
        void aSavedSnapshotLoadsBackWithEveryPart() {
            StreamId stream = newStream("account");
            StoredSnapshot saved = snapshot(stream, "account", 42, 7,
                    "{\"owner\": \"Zo\u00eb \u4e2d \ud83d\ude00\", \"balance\": 12345678901234, \"rate\": 0.25,"
                            + " \"tags\": [\"a\", {\"b\": null}], \"open\": true}");
            store.save(saved).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            store.load(stream, "account")
                    .as(StepVerifier::create)
                    .assertNext(loaded -> assertSameSnapshot(saved, loaded))
                    .expectComplete()
                    .verify(TIMEOUT);
        }

        @Test
        void aLaterSaveReplacesTheEarlierOne() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "account", 3));
            save(snapshot(stream, "account", 9));
            assertSameSnapshot(snapshot(stream, "account", 9), load(stream, "account"));
        }

        @Test
        void theLastSaveWinsEvenWithALowerStreamVersionOrAnotherSchemaVersion() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "account", 9, 1, "{\"v\": 9}"));
            save(snapshot(stream, "account", 4, 1, "{\"v\": 4}"));
            assertSameSnapshot(snapshot(stream, "account", 4, 1, "{\"v\": 4}"), load(stream, "account"));
            save(snapshot(stream, "account", 4, 2, "[4]"));
            assertSameSnapshot(snapshot(stream, "account", 4, 2, "[4]"), load(stream, "account"));
            save(snapshot(stream, "account", 6, 1, "{\"v\": 6}"));
            assertSameSnapshot(snapshot(stream, "account", 6, 1, "{\"v\": 6}"), load(stream, "account"));
        }

        @Test
        void snapshotTypesOfOneStreamAreKeptApart() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "account", 3, 1, "{\"kind\": \"a\"}"));
            save(snapshot(stream, "account.summary", 5, 2, "{\"kind\": \"b\"}"));
            assertSameSnapshot(snapshot(stream, "account", 3, 1, "{\"kind\": \"a\"}"), load(stream, "account"));
            assertSameSnapshot(snapshot(stream, "account.summary", 5, 2, "{\"kind\": \"b\"}"), load(stream, "account.summary"));
        }

        @Test
        void streamsAreKeptApart() {
            String id = UUID.randomUUID().toString();
            StreamId account = StreamId.of("account", id);
            StreamId accounts = StreamId.of("accounts", id);
            StreamId dashed = StreamId.of("account", id + "-x");
            save(snapshot(account, "state", 1));
            save(snapshot(accounts, "state", 2));
            save(snapshot(dashed, "state", 3));
            assertSameSnapshot(snapshot(account, "state", 1), load(account, "state"));
            assertSameSnapshot(snapshot(accounts, "state", 2), load(accounts, "state"));
            assertSameSnapshot(snapshot(dashed, "state", 3), load(dashed, "state"));
        }

        @Test
        void namesAreStoredVerbatim() {
            StreamId stream = StreamId.of("acc'ount", "it's; DROP TABLE snapshots; -- " + UUID.randomUUID());
            String type = "t'ype \"x\" \u00e9\u4e2d %_";
            save(snapshot(stream, type, 5));
            assertSameSnapshot(snapshot(stream, type, 5), load(stream, type));
            store.load(stream, "t'ype \"x\" \u00e9\u4e2d __").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void extremeVersionsRoundTrip() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "max", Long.MAX_VALUE, Integer.MAX_VALUE, "{}"));
            save(snapshot(stream, "min", 1, 0, "{}"));
            assertSameSnapshot(snapshot(stream, "max", Long.MAX_VALUE, Integer.MAX_VALUE, "{}"), load(stream, "max"));
            assertSameSnapshot(snapshot(stream, "min", 1, 0, "{}"), load(stream, "min"));
        }

        @Test
        void everyKindOfJsonValueRoundTrips() {
            StreamId stream = newStream("account");
            List<String> values = List.of("{}", "[]", "\"text\"", "-12.5e3", "0", "true", "false", "null",
                    "[1, \"two\", [3], {\"four\": 4}]", "{\"s\": \"line\\nbreak \\\"quoted\\\" \\\\ \\u00e9\"}");
            for (int i = 0; i < values.size(); i++) {
                save(snapshot(stream, "kind" + i, i + 1L, 1, values.get(i)));
            }
            for (int i = 0; i < values.size(); i++) {
                assertSameSnapshot(snapshot(stream, "kind" + i, i + 1L, 1, values.get(i)), load(stream, "kind" + i));
            }
        }

        @Test
        void aLargeStateRoundTrips() {
            StreamId stream = newStream("account");
            String items = IntStream.range(0, 20_000)
                    .mapToObj(i -> "{\"id\": " + i + ", \"name\": \"item number " + i + "\"}")
                    .collect(Collectors.joining(",", "{\"items\": [", "]}"));
            assertTrue(items.length() > 500_000);
            save(snapshot(stream, "account", 20_000, 1, items));
            assertSameSnapshot(snapshot(stream, "account", 20_000, 1, items), load(stream, "account"));
        }
    }

    // ---------------------------------------------------------------- offer

    @Nested
    @DisplayName("offer")
    class Offer {

        @Test
        void aDeclinedOfferNeverBuildsTheSnapshot() {
            StreamId stream = newStream("account");
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 1000));
            store.offer(SnapshotPolicy.never(), 1000, supplier)
                    .as(StepVerifier::create).expectNext(false).expectComplete().verify(TIMEOUT);
            assertEquals(0, supplier.calls());
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void everyEventsDeclinesBelowItsCount() {
            StreamId stream = newStream("account");
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 4));
            store.offer(SnapshotPolicy.everyEvents(5), 4, supplier)
                    .as(StepVerifier::create).expectNext(false).expectComplete().verify(TIMEOUT);
            store.offer(SnapshotPolicy.everyEvents(5), 0, supplier)
                    .as(StepVerifier::create).expectNext(false).expectComplete().verify(TIMEOUT);
            assertEquals(0, supplier.calls());
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        }

        @Test
        void everyEventsTakesTheSnapshotAtAndAboveItsCount() {
            StreamId stream = newStream("account");
            CountingSupplier atCount = new CountingSupplier(snapshot(stream, "account", 5));
            store.offer(SnapshotPolicy.everyEvents(5), 5, atCount)
                    .as(StepVerifier::create).expectNext(true).expectComplete().verify(TIMEOUT);
            assertEquals(1, atCount.calls());
            assertSameSnapshot(snapshot(stream, "account", 5), load(stream, "account"));

            CountingSupplier above = new CountingSupplier(snapshot(stream, "account", 12));
            store.offer(SnapshotPolicy.everyEvents(5), 7, above)
                    .as(StepVerifier::create).expectNext(true).expectComplete().verify(TIMEOUT);
            assertEquals(1, above.calls());
            assertSameSnapshot(snapshot(stream, "account", 12), load(stream, "account"));
        }

        @Test
        void eachSubscriptionBuildsAndSavesAgain() {
            StreamId stream = newStream("account");
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 1));
            Mono<Boolean> offer = store.offer(SnapshotPolicy.everyEvents(1), 1, supplier);
            offer.as(StepVerifier::create).expectNext(true).expectComplete().verify(TIMEOUT);
            offer.as(StepVerifier::create).expectNext(true).expectComplete().verify(TIMEOUT);
            assertEquals(2, supplier.calls());
            assertSameSnapshot(snapshot(stream, "account", 1), load(stream, "account"));
        }

        @Test
        void aFailingSupplierFailsTheOfferOnTheErrorTrackAndKeepsTheOldSnapshot() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "account", 2));
            IllegalStateException failure = new IllegalStateException("cannot encode");
            Mono<Boolean> offer = store.offer(SnapshotPolicy.everyEvents(1), 3, () -> {
                throw failure;
            });
            offer.as(StepVerifier::create).expectErrorMatches(e -> e == failure).verify(TIMEOUT);
            assertSameSnapshot(snapshot(stream, "account", 2), load(stream, "account"));
        }

        @Test
        void aSupplierReturningNullFailsTheOfferOnTheErrorTrack() {
            StreamId stream = newStream("account");
            save(snapshot(stream, "account", 2));
            store.offer(SnapshotPolicy.everyEvents(1), 3, () -> null)
                    .as(StepVerifier::create).expectError(NullPointerException.class).verify(TIMEOUT);
            assertSameSnapshot(snapshot(stream, "account", 2), load(stream, "account"));
        }
    }

    // ---------------------------------------------------------------- concurrency

    @Nested
    @DisplayName("concurrency")
    class Concurrency {

        @Test
        void concurrentSavesToManyStreamsAreAllKept() {
            List<StreamId> streams = IntStream.range(0, 64).mapToObj(i -> newStream("account")).collect(Collectors.toList());
            Flux.range(0, 64)
                    .flatMap(i -> store.save(snapshot(streams.get(i), "account", i + 1L)).subscribeOn(Schedulers.parallel()), 64)
                    .then()
                    .block(TIMEOUT);
            for (int i = 0; i < 64; i++) {
                assertSameSnapshot(snapshot(streams.get(i), "account", i + 1L), load(streams.get(i), "account"));
            }
        }

        @Test
        void concurrentSavesToOneStreamLeaveOneOfThemWhole() {
            StreamId stream = newStream("account");
            String padding = "x".repeat(2000);
            Flux.range(1, 48)
                    .flatMap(i -> store.save(snapshot(stream, "account", i, i, "{\"v\": " + i + ", \"pad\": \"" + padding + i + "\"}"))
                            .subscribeOn(Schedulers.parallel()), 48)
                    .then()
                    .block(TIMEOUT);
            StoredSnapshot kept = load(stream, "account");
            long v = kept.streamVersion();
            assertTrue(v >= 1 && v <= 48, "kept version " + v);
            assertSameSnapshot(snapshot(stream, "account", v, (int) v, "{\"v\": " + v + ", \"pad\": \"" + padding + v + "\"}"), kept);
        }
    }

    // ---------------------------------------------------------------- laziness

    @Nested
    @DisplayName("laziness")
    class Laziness {

        @Test
        void aSaveWritesWhenSubscribedNotWhenCreated() {
            StreamId stream = newStream("account");
            Mono<Void> save = store.save(snapshot(stream, "account", 1));
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            save.block(TIMEOUT);
            assertSameSnapshot(snapshot(stream, "account", 1), load(stream, "account"));
        }

        @Test
        void anOfferBuildsNothingUntilSubscribed() {
            StreamId stream = newStream("account");
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 1));
            Mono<Boolean> offer = store.offer(SnapshotPolicy.everyEvents(1), 1, supplier);
            assertEquals(0, supplier.calls());
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            assertEquals(true, offer.block(TIMEOUT));
            assertEquals(1, supplier.calls());
            assertSameSnapshot(snapshot(stream, "account", 1), load(stream, "account"));
        }

        @Test
        void aLoadReadsWhenSubscribedNotWhenCreated() {
            StreamId stream = newStream("account");
            Mono<StoredSnapshot> load = store.load(stream, "account");
            save(snapshot(stream, "account", 1));
            load.as(StepVerifier::create)
                    .assertNext(loaded -> assertSameSnapshot(snapshot(stream, "account", 1), loaded))
                    .expectComplete()
                    .verify(TIMEOUT);
        }
    }

    // ---------------------------------------------------------------- bad input

    @Nested
    @DisplayName("bad input")
    class BadInput {

        private final StreamId stream = newStream("account");

        @Test
        void nullArgumentsFailAtCallTime() {
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 1));
            assertThrows(NullPointerException.class, () -> store.load(null, "account"));
            assertThrows(NullPointerException.class, () -> store.load(stream, null));
            assertThrows(NullPointerException.class, () -> store.save(null));
            assertThrows(NullPointerException.class, () -> store.offer(null, 1, supplier));
            assertThrows(NullPointerException.class, () -> store.offer(SnapshotPolicy.everyEvents(1), 1, null));
            assertEquals(0, supplier.calls());
            assertNothingStored();
        }

        @Test
        void aBlankTypeOrANegativeCountFailsAtCallTime() {
            CountingSupplier supplier = new CountingSupplier(snapshot(stream, "account", 1));
            assertThrows(IllegalArgumentException.class, () -> store.load(stream, " "));
            assertThrows(IllegalArgumentException.class, () -> store.load(stream, ""));
            assertThrows(IllegalArgumentException.class, () -> store.offer(SnapshotPolicy.everyEvents(1), -1, supplier));
            assertEquals(0, supplier.calls());
            assertNothingStored();
        }

        @Test
        void invalidSnapshotsAreRejectedWhenBuilt() {
            byte[] json = "{}".getBytes(StandardCharsets.UTF_8);
            assertThrows(NullPointerException.class, () -> new StoredSnapshot(null, "t", 1, 1, json));
            assertThrows(NullPointerException.class, () -> new StoredSnapshot(stream, null, 1, 1, json));
            assertThrows(NullPointerException.class, () -> new StoredSnapshot(stream, "t", 1, 1, null));
            assertThrows(IllegalArgumentException.class, () -> new StoredSnapshot(stream, " ", 1, 1, json));
            assertThrows(IllegalArgumentException.class, () -> new StoredSnapshot(stream, "t", 0, 1, json));
            assertThrows(IllegalArgumentException.class, () -> new StoredSnapshot(stream, "t", -1, 1, json));
            assertThrows(IllegalArgumentException.class, () -> new StoredSnapshot(stream, "t", 1, -1, json));
            assertThrows(IllegalArgumentException.class, () -> SnapshotPolicy.everyEvents(0));
        }

        @Test
        void statesThatAreNotJsonEveryStoreKeepsAreRejectedWhenBuilt() {
            for (String bad : List.of("", "{not json", "{} {}", "{\"s\": \"\\u0000\"}", "{\"s\": \"\\ud800\"}", "1e999999999")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> snapshot(stream, "t", 1, 1, bad), () -> "accepted " + bad);
                assertTrue(e.getMessage().startsWith("snapshot data"), e.getMessage());
            }
            assertThrows(IllegalArgumentException.class,
                    () -> new StoredSnapshot(stream, "t", 1, 1, new byte[] {(byte) 0xC3, (byte) 0x28}));
            assertThrows(IllegalArgumentException.class,
                    () -> new StoredSnapshot(stream, "t", 1, 1, "{}".getBytes(StandardCharsets.UTF_16)));
        }

        @Test
        void storedStateCannotBeChangedThroughTheArraysGivenOrTaken() {
            byte[] bytes = "{\"n\":1}".getBytes(StandardCharsets.UTF_8);
            StoredSnapshot snapshot = new StoredSnapshot(stream, "account", 1, 1, bytes);
            bytes[5] = '2';
            snapshot.data()[5] = '3';
            save(snapshot);
            StoredSnapshot loaded = load(stream, "account");
            loaded.data()[5] = '4';
            assertSameSnapshot(snapshot(stream, "account", 1, 1, "{\"n\":1}"), load(stream, "account"));
        }

        private void assertNothingStored() {
            store.load(stream, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
            // the store works: a proper save is kept
            save(snapshot(stream, "account", 1));
            assertSameSnapshot(snapshot(stream, "account", 1), load(stream, "account"));
        }
    }
}
