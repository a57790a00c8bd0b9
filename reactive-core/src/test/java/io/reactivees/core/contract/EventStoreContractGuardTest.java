package io.reactivees.core.contract;

import io.reactivees.core.AppendCondition;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.reactivees.core.AppendResult;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Proves that {@link EventStoreContract} can fail: run against a store that accepts every call and
 * does nothing, all its tests must fail except the few that check value types alone.
 */
class EventStoreContractGuardTest {

    /** Tests that never touch the store, so they pass whatever the store does. */
    private static final Set<String> STORE_INDEPENDENT = Set.of(
            "invalidValuesAreRejectedWhenBuilt()",
            "payloadsThatAreNotJsonAreRejectedWhenBuilt()",
            "invalidTagsAndConditionsAreRejectedWhenBuilt()");

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

        assertTrue(results.size() >= 40, "the contract should have at least 40 tests, found " + results.size());
        Set<String> passed = results.entrySet().stream()
                .filter(e -> e.getValue() == TestExecutionResult.Status.SUCCESSFUL)
                .map(Map.Entry::getKey)
                .collect(Collectors.toSet());
        assertEquals(STORE_INDEPENDENT, passed, "only store-independent tests may pass against a store that does nothing");
    }

    /** The contract, run against {@link DoNothingEventStore}; started only by the test above. */
    static class DoNothingStoreContract extends EventStoreContract {
        @Override
        protected EventStore createStore() {
            return new DoNothingEventStore();
        }
    }

    /** Accepts every call, checks nothing, stores nothing, finds nothing. */
    static final class DoNothingEventStore implements EventStore {
        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events) {
            return Mono.empty();
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends) {
            return Mono.empty();
        }

        @Override
        public Mono<AppendResult> append(StreamId stream, ExpectedVersion expected, List<EventData> events, AppendCondition condition) {
            return Mono.empty();
        }

        @Override
        public Mono<List<AppendResult>> appendAll(List<StreamAppend> appends, AppendCondition condition) {
            return Mono.empty();
        }

        @Override
        public Mono<Long> streamVersion(StreamId stream) {
            return Mono.empty();
        }

        @Override
        public Mono<RecordedEvent> readEvent(java.util.UUID eventId) {
            return Mono.empty();
        }

        @Override
        public Flux<RecordedEvent> readStream(StreamId stream, ReadOptions options) {
            return Flux.empty();
        }

        @Override
        public Flux<RecordedEvent> load(EventQuery query) {
            return Flux.empty();
        }

        @Override
        public Flux<RecordedEvent> subscribe(EventQuery query) {
            return Flux.empty();
        }
    }
}
