package io.reactivees.inmemory.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.Snapshot;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.core.snapshot.StoredSnapshot;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** {@link Snapshotter} on its own: which stored snapshots it uses, and what it writes. */
class SnapshotterTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final StreamId STREAM = StreamId.of("account", "1");

    private final InMemorySnapshotStore store = InMemorySnapshotStore.create();
    private final Snapshotter<Account> snapshotter = Snapshotter.builder(store, "account", JSON, Account.class)
            .schemaVersion(3)
            .policy(SnapshotPolicy.everyEvents(10))
            .build();

    private void plant(int schemaVersion, String json) {
        store.save(new StoredSnapshot(STREAM, "account", 7, schemaVersion, json.getBytes(StandardCharsets.UTF_8))).block(TIMEOUT);
    }

    @Test
    void aSnapshotOfItsSchemaVersionIsDecoded() {
        plant(3, "{\"owner\": \"alice\", \"balance\": 12}");
        snapshotter.load(STREAM)
                .as(StepVerifier::create)
                .expectNext(new Snapshot<>(STREAM, "account", 7, 3, new Account("alice", 12)))
                .expectComplete()
                .verify(TIMEOUT);
    }

    @Test
    void noSnapshotOrAnotherSchemaVersionOrAnUndecodableOneLoadsEmpty() {
        snapshotter.load(STREAM).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        plant(2, "{\"owner\": \"alice\", \"balance\": 12}");
        snapshotter.load(STREAM).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        plant(3, "{\"owner\": \"alice\", \"balance\": {\"amount\": 12}}");
        snapshotter.load(STREAM).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
        plant(3, "null");
        snapshotter.load(STREAM).as(StepVerifier::create).expectComplete().verify(TIMEOUT);
    }

    @Test
    void theStoresFailuresArePassedOn() {
        SnapshotStore down = new SnapshotStore() {
            @Override
            public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
                return Mono.error(new StoreUnavailableException("down", null));
            }

            @Override
            public Mono<Void> save(StoredSnapshot snapshot) {
                return Mono.error(new StoreUnavailableException("down", null));
            }
        };
        Snapshotter<Account> failing = Snapshotter.builder(down, "account", JSON, Account.class).policy(SnapshotPolicy.everyEvents(1)).build();
        failing.load(STREAM).as(StepVerifier::create).expectError(StoreUnavailableException.class).verify(TIMEOUT);
        failing.offer(STREAM, 1, new Account("a", 1), 1).as(StepVerifier::create).expectError(StoreUnavailableException.class).verify(TIMEOUT);
    }

    @Test
    void anOfferWritesTheStateAsJsonWithItsVersions() {
        snapshotter.offer(STREAM, 40, new Account("alice", 99), 10)
                .as(StepVerifier::create).expectNext(true).expectComplete().verify(TIMEOUT);
        StoredSnapshot stored = store.load(STREAM, "account").block(TIMEOUT);
        assertEquals(40, stored.streamVersion());
        assertEquals(3, stored.schemaVersion());
        assertEquals(new Account("alice", 99), JSON.readValue(stored.data(), Account.class));
    }

    @Test
    void anOfferBelowThePolicyWritesNothing() {
        snapshotter.offer(STREAM, 40, new Account("alice", 99), 9)
                .as(StepVerifier::create).expectNext(false).expectComplete().verify(TIMEOUT);
        store.load(STREAM, "account").as(StepVerifier::create).expectComplete().verify(TIMEOUT);
    }
}
