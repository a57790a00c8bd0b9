package io.reactivees.core.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.reactivees.core.StreamId;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.core.snapshot.StoredSnapshot;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import reactor.core.publisher.Mono;

/**
 * Proves that {@link SnapshotStoreContract} can fail: run against a store that accepts every call and
 * does nothing, all its tests must fail except the few that check value types alone.
 */
class SnapshotStoreContractGuardTest {

    /** Tests that never touch the store, so they pass whatever the store does. */
    private static final Set<String> STORE_INDEPENDENT = Set.of(
            "invalidSnapshotsAreRejectedWhenBuilt()",
            "statesThatAreNotJsonEveryStoreKeepsAreRejectedWhenBuilt()");

    @Test
    void theContractFailsAgainstAStoreThatDoesNothing() {
        Map<String, TestExecutionResult.Status> results = new ConcurrentHashMap<>();
        TestExecutionListener listener = new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier test, TestExecutionResult result) {
                if (test.isTest()) {
                    results.put(test.getDisplayName(), result.getStatus());
                }
            }
        };
        LauncherFactory.create().execute(
                LauncherDiscoveryRequestBuilder.request().selectors(selectClass(DoNothingStoreContract.class)).build(),
                listener);

        assertTrue(results.size() >= 20, "the contract should have at least 20 tests, found " + results.size());
        Set<String> passed = results.entrySet().stream()
                .filter(e -> e.getValue() == TestExecutionResult.Status.SUCCESSFUL)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        assertEquals(STORE_INDEPENDENT, passed, "only store-independent tests may pass against a store that does nothing");
    }

    /** The contract, run against {@link DoNothingSnapshotStore}; started only by the test above. */
    static class DoNothingStoreContract extends SnapshotStoreContract {
        @Override
        protected SnapshotStore createStore() {
            return new DoNothingSnapshotStore();
        }
    }

    /** Accepts every call, checks nothing, stores nothing, finds nothing. */
    static final class DoNothingSnapshotStore implements SnapshotStore {
        @Override
        public Mono<StoredSnapshot> load(StreamId stream, String snapshotType) {
            return Mono.empty();
        }

        @Override
        public Mono<Void> save(StoredSnapshot snapshot) {
            return Mono.empty();
        }

        @Override
        public Mono<Boolean> offer(SnapshotPolicy policy, long eventsSinceLastSnapshot, Supplier<StoredSnapshot> snapshot) {
            return Mono.empty();
        }
    }
}
