package io.reactivees.inmemory.aggregate;

import static io.reactivees.inmemory.aggregate.Bank.ACCOUNT;
import static io.reactivees.inmemory.aggregate.Bank.deposit;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.inmemory.aggregate.Bank.Account;
import io.reactivees.inmemory.aggregate.Bank.AccountEvent;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/** The README's snapshot example, verbatim, so the documentation cannot drift from the code. */
class ReadmeSnapshotsTest {

    @Test
    void snapshots() {
        EventStore store = InMemoryEventStore.create();
        EventSerializer serializer = Bank.serializer();
        AggregateRepository.builder(store, serializer, ACCOUNT).build().create("42", Bank.open("alice")).block(Duration.ofSeconds(5));

        SnapshotStore snapshotStore = InMemorySnapshotStore.create();   // or PostgresSnapshotStore.of(postgresStore)

        AggregateRepository<Account, AccountEvent> accounts = AggregateRepository.builder(store, serializer, ACCOUNT)
                .snapshots(Snapshotter.builder(snapshotStore, "account", JsonMapper.builder().build(), Account.class)
                        .schemaVersion(1)                           // bump when Account's JSON shape changes
                        .policy(SnapshotPolicy.everyEvents(100))    // or SnapshotPolicy.never()
                        .build())
                .build();

        accounts.update("42", deposit(10))      // loads from the latest snapshot plus the tail, then offers a new one
                .as(StepVerifier::create)
                .assertNext(result -> assertEquals(new Account("alice", 10), result.state()))
                .expectComplete()
                .verify(Duration.ofSeconds(5));
    }
}
