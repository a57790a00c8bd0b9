package io.reactivees.spring.observation;

import static io.micrometer.observation.tck.TestObservationRegistryAssert.assertThat;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.Observation;
import io.micrometer.observation.ObservationHandler;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.micrometer.observation.transport.ReceiverContext;
import io.micrometer.observation.transport.SenderContext;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandObserver;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.projection.Checkpoint;
import io.reactivees.core.projection.CheckpointedHandler;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.spring.testevents.TestEvents;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * The observed store, commands and projection handlers on an in-memory store, seen in a
 * {@link TestObservationRegistry} and a {@link SimpleMeterRegistry}. A stand-in for a tracer's
 * propagating handlers writes a {@code traceparent} into each append's carrier and records what
 * each projection's observation finds in its event.
 */
class ObservedEventStoreTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final String TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private final TestObservationRegistry registry = TestObservationRegistry.create();
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private final List<String> continued = new CopyOnWriteArrayList<>();
    private final InMemoryEventStore inMemory = InMemoryEventStore.create();
    private final ObservedEventStore store;

    ObservedEventStoreTest() {
        registry.observationConfig().observationHandler(new FakePropagation());
        store = ObservedEventStore.of(inMemory, registry, meters);
    }

    /** Writes and reads trace context the way Micrometer Tracing's propagating handlers do. */
    private final class FakePropagation implements ObservationHandler<Observation.Context> {
        @Override
        @SuppressWarnings("unchecked")
        public void onStart(Observation.Context context) {
            if (context instanceof SenderContext<?> sender) {
                ((SenderContext<Object>) sender).getSetter().set(sender.getCarrier(), "traceparent", TRACEPARENT);
            } else if (context instanceof ReceiverContext<?> receiver) {
                String parent = ((ReceiverContext<Object>) receiver).getGetter().get(receiver.getCarrier(), "traceparent");
                continued.add(String.valueOf(parent));
            }
        }

        @Override
        public boolean supportsContext(Observation.Context context) {
            return true;
        }
    }

    private static EventData opened(String metadata) {
        return EventData.of("test.opened", "{\"owner\":\"alice\"}".getBytes(), metadata.getBytes());
    }

    @Test
    void anAppendIsObservedWithItsCategoryTypeAndOutcome() {
        StreamId stream = StreamId.of("account", "1");
        store.append(stream, ExpectedVersion.noStream(), List.of(opened("{}"))).as(StepVerifier::create)
                .expectNextCount(1).expectComplete().verify(TIMEOUT);

        assertThat(registry).hasObservationWithNameEqualTo("reactivees.append").that()
                .hasBeenStarted().hasBeenStopped()
                .hasLowCardinalityKeyValue("reactivees.category", "account")
                .hasLowCardinalityKeyValue("reactivees.event.type", "test.opened")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok")
                .hasContextualNameEqualTo("reactivees append");
    }

    @Test
    void aConflictAndADuplicateHaveTheirOwnOutcomeAndTheConflictIsCounted() {
        StreamId stream = StreamId.of("account", "1");
        EventData first = opened("{}");
        store.append(stream, ExpectedVersion.noStream(), List.of(first)).block(TIMEOUT);
        registry.clear();

        store.append(stream, ExpectedVersion.exact(0), List.of(opened("{}"))).as(StepVerifier::create)
                .expectError(ConcurrencyConflictException.class).verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.append").that()
                .hasLowCardinalityKeyValue("reactivees.outcome", "conflict").hasBeenStopped();
        assertThat(meters.get("reactivees.conflicts").tag("category", "account").counter().count()).isEqualTo(1.0);

        registry.clear();
        store.append(StreamId.of("account", "2"), ExpectedVersion.any(), List.of(first)).as(StepVerifier::create)
                .expectError(DuplicateEventException.class).verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.append").that()
                .hasLowCardinalityKeyValue("reactivees.outcome", "duplicate");
    }

    @Test
    void theTraceContextGoesIntoTheMetadataKeepingWhatIsThere() {
        StreamId stream = StreamId.of("account", "1");
        store.append(stream, ExpectedVersion.noStream(), List.of(opened("{\"correlationId\":\"c-1\"}"),
                opened("{\"traceparent\":\"00-11111111111111111111111111111111-2222222222222222-01\"}"))).block(TIMEOUT);

        List<RecordedEvent> stored = inMemory.readStream(stream).collectList().block(TIMEOUT);
        assertThat(TraceMetadata.fieldsOf(stored.get(0))).containsEntry("traceparent", TRACEPARENT).containsEntry("correlationId", "c-1");
        // an event that carries its own trace context keeps it
        assertThat(TraceMetadata.fieldsOf(stored.get(1)))
                .containsEntry("traceparent", "00-11111111111111111111111111111111-2222222222222222-01");
    }

    @Test
    void appendAllIsObservedAndTracedInEveryStream() {
        store.appendAll(List.of(
                StreamAppend.of(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(opened("{}"))),
                StreamAppend.of(StreamId.of("ledger", "1"), ExpectedVersion.noStream(), List.of(opened("{}"))))).block(TIMEOUT);

        assertThat(registry).hasObservationWithNameEqualTo("reactivees.append.all").that()
                .hasLowCardinalityKeyValue("reactivees.category", "mixed")
                .hasLowCardinalityKeyValue("reactivees.event.type", "test.opened")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok");
        assertThat(inMemory.load(EventQuery.all()).map(TraceMetadata::fieldsOf).collectList().block(TIMEOUT))
                .allSatisfy(fields -> assertThat(fields).containsEntry("traceparent", TRACEPARENT));
    }

    @Test
    void badArgumentsFailAtCallTimeAndObserveNothing() {
        assertThatThrownBy(() -> store.append(StreamId.of("account", "1"), ExpectedVersion.any(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.appendAll(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.load(null)).isInstanceOf(NullPointerException.class);
        assertThat(registry).doesNotHaveAnyObservation();
    }

    @Test
    void aLoadIsObservedUntilItsLastEvent() {
        store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(opened("{}"))).block(TIMEOUT);
        registry.clear();
        store.load(EventQuery.of(EventFilter.forCategory("account"))).as(StepVerifier::create)
                .expectNextCount(1).expectComplete().verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.load").that()
                .hasLowCardinalityKeyValue("reactivees.category", "account")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok").hasBeenStopped();
    }

    @Test
    void aSubscriptionIsObservedUntilCancelledAndCountedWhileItLasts() {
        store.subscribe(EventQuery.all()).as(StepVerifier::create)
                .then(() -> {
                    assertThat(meters.get("reactivees.subscriptions.active").gauge().value()).isEqualTo(1.0);
                    assertThat(registry).hasObservationWithNameEqualTo("reactivees.subscribe").that()
                            .hasBeenStarted().isNotStopped();
                })
                .then(() -> store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(opened("{}"))).block(TIMEOUT))
                .expectNextCount(1)
                .thenCancel()
                .verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.subscribe").that()
                .hasLowCardinalityKeyValue("reactivees.category", "all")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok").hasBeenStopped();
        assertThat(meters.get("reactivees.subscriptions.active").gauge().value()).isEqualTo(0.0);
    }

    @Test
    void aProjectionsHandlingContinuesTheTraceItsEventCarries() {
        StreamId stream = StreamId.of("account", "1");
        store.append(stream, ExpectedVersion.noStream(), List.of(opened("{}"))).block(TIMEOUT);
        RecordedEvent event = inMemory.readStream(stream).blockFirst(TIMEOUT);
        AtomicBoolean applied = new AtomicBoolean();
        CheckpointedHandler handler = ObservedProjections.handler(CheckpointedHandler.atLeastOnce(new InMemoryCheckpointStore(),
                e -> Mono.fromRunnable(() -> applied.set(true))), registry);

        handler.apply("balances", event, Checkpoint.START).as(StepVerifier::create)
                .expectNextMatches(checkpoint -> checkpoint.position().equals(event.position()))
                .expectComplete().verify(TIMEOUT);
        assertThat(applied).isTrue();
        assertThat(continued).containsExactly(TRACEPARENT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.projection").that()
                .hasLowCardinalityKeyValue("reactivees.projection", "balances")
                .hasLowCardinalityKeyValue("reactivees.category", "account")
                .hasLowCardinalityKeyValue("reactivees.event.type", "test.opened")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok").hasBeenStopped();
    }

    @Test
    void aProjectionHandlersErrorIsItsOutcome() {
        store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(opened("{}"))).block(TIMEOUT);
        RecordedEvent event = inMemory.load(EventQuery.all()).blockFirst(TIMEOUT);
        CheckpointedHandler handler = ObservedProjections.handler(CheckpointedHandler.atLeastOnce(new InMemoryCheckpointStore(),
                e -> Mono.error(new IllegalStateException("read model broken"))), registry);
        handler.apply("balances", event, Checkpoint.START).as(StepVerifier::create)
                .expectErrorMessage("read model broken").verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.projection").that()
                .hasLowCardinalityKeyValue("reactivees.outcome", "error").assertThatError().hasMessage("read model broken");
    }

    @Test
    void aCommandIsOneObservationAndItsConflictRetriesAreCounted() {
        AggregateType<Long, TestEvents.Deposited> balances = AggregateType.of("account", TestEvents.Deposited.class, 0L,
                (balance, deposited) -> balance + deposited.amount());
        EventSerializer serializer = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(TestEvents.Deposited.class));
        CommandObserver observer = ObservedCommands.of(registry, meters);
        AggregateRepository<Long, TestEvents.Deposited> repository = AggregateRepository.builder(store, serializer, balances)
                .retryPolicy(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(2), 0.0))
                .observer(observer)
                .build();
        repository.execute("1", Command.of(balance -> List.of(new TestEvents.Deposited(10)))).block(TIMEOUT);
        registry.clear();

        // the first attempt loses the race to a concurrent deposit; the retry succeeds
        AtomicBoolean raced = new AtomicBoolean();
        StreamId stream = StreamId.of("account", "1");
        Command<Long, TestEvents.Deposited> deposit = Command.async(balance -> (raced.compareAndSet(false, true)
                ? inMemory.append(stream, ExpectedVersion.any(), List.of(serializer.serialize(new TestEvents.Deposited(1)))).then()
                : Mono.<Void>empty()).thenReturn(List.of(new TestEvents.Deposited(5))));
        repository.update("1", deposit).as(StepVerifier::create)
                .expectNextMatches(result -> result.attempts() == 2 && result.state() == 16L)
                .expectComplete().verify(TIMEOUT);

        assertThat(registry).hasNumberOfObservationsWithNameEqualTo("reactivees.command", 1)
                .hasObservationWithNameEqualTo("reactivees.command").that()
                .hasLowCardinalityKeyValue("reactivees.category", "account")
                .hasLowCardinalityKeyValue("reactivees.operation", "update")
                .hasLowCardinalityKeyValue("reactivees.outcome", "ok").hasBeenStopped();
        assertThat(meters.get("reactivees.command.retries").tag("category", "account").tag("operation", "update").counter().count())
                .isEqualTo(1.0);
        // the appends inside it are its children
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.append").that()
                .hasParentObservationContextMatching(parent -> parent.getName().equals("reactivees.command"));
    }

    @Test
    void aDomainErrorIsTheCommandsOutcome() {
        AggregateType<Long, TestEvents.Deposited> balances = AggregateType.of("account", TestEvents.Deposited.class, 0L,
                (balance, deposited) -> balance + deposited.amount());
        AggregateRepository<Long, TestEvents.Deposited> repository = AggregateRepository.builder(store,
                        JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(TestEvents.Deposited.class)), balances)
                .observer(ObservedCommands.of(registry, meters))
                .build();
        repository.update("nobody", Command.of(balance -> List.of())).as(StepVerifier::create)
                .expectError().verify(TIMEOUT);
        assertThat(registry).hasObservationWithNameEqualTo("reactivees.command").that()
                .hasLowCardinalityKeyValue("reactivees.outcome", "error").hasBeenStopped();
    }
}
