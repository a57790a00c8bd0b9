package io.reactivees.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.PartitionedProjection;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.projection.ReplicaMembership;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.inmemory.InMemoryCheckpointStore;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.inmemory.InMemorySnapshotStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import io.reactivees.spring.testevents.TestEvents;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The auto-configuration without a {@code ConnectionFactory}: the in-memory stores. */
class ReactiveesAutoConfigurationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ReactiveesAutoConfiguration.class));

    @Test
    void withoutAConnectionFactoryTheStoresAreInMemory() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(EventStore.class);
            assertThat(context.getBean(EventStore.class)).isInstanceOf(InMemoryEventStore.class);
            assertThat(context.getBean(SnapshotStore.class)).isInstanceOf(InMemorySnapshotStore.class);
            assertThat(context.getBean(CheckpointStore.class)).isInstanceOf(InMemoryCheckpointStore.class);
            assertThat(context.getBean(EventSerializer.class)).isInstanceOf(JacksonEventSerializer.class);
            assertThat(context).doesNotHaveBean(ProjectionLease.class);
            assertThat(context).hasSingleBean(EventStoreLifecycle.class);
            assertThat(context.getBean(ProjectionRunners.class).all()).isEmpty();
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
            assertThat(context.getBean(EventStoreLifecycle.class).isRunning()).isTrue();
        });
    }

    @Test
    void theApplicationsOwnBeansWin() {
        runner.withUserConfiguration(OwnBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(EventStore.class)).isSameAs(OwnBeans.STORE);
            assertThat(context.getBean(SnapshotStore.class)).isSameAs(OwnBeans.SNAPSHOTS);
            assertThat(context.getBean(CheckpointStore.class)).isSameAs(OwnBeans.CHECKPOINTS);
            assertThat(context.getBean(EventSerializer.class)).isSameAs(OwnBeans.SERIALIZER);
            assertThat(context.getBean(EventTypeRegistry.class)).isSameAs(OwnBeans.REGISTRY);
            assertThat(context).hasSingleBean(EventStore.class);
            assertThat(context).hasSingleBean(SnapshotStore.class);
            assertThat(context).hasSingleBean(CheckpointStore.class);
            assertThat(context).hasSingleBean(EventSerializer.class);
        });
    }

    @Test
    void theSerializerKnowsTheEventTypesOfTheScannedPackages() {
        runner.withPropertyValues("reactivees.event-packages=io.reactivees.spring.testevents").run(context -> {
            EventSerializer serializer = context.getBean(EventSerializer.class);
            assertThat(serializer.typeOf(TestEvents.Opened.class)).isEqualTo("test.opened");
            assertThat(serializer.typeOf(TestEvents.Deposited.class)).isEqualTo("test.deposited");
            assertThat(context.getBean(EventTypeRegistry.class).size()).isEqualTo(2);
        });
    }

    @Test
    void byDefaultTheApplicationsPackagesAreScanned() {
        runner.withUserConfiguration(ApplicationInTestEvents.class).run(context ->
                assertThat(context.getBean(EventSerializer.class).typeOf(TestEvents.Opened.class)).isEqualTo("test.opened"));
    }

    @Test
    void withoutPackagesTheSerializerKnowsNoTypes() {
        runner.run(context -> assertThat(context.getBean(EventTypeRegistry.class).size()).isZero());
    }

    @Test
    void projectionBeansRunWithTheContextAndStopWithIt() {
        runner.withUserConfiguration(ProjectionBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            ProjectionRunners runners = context.getBean(ProjectionRunners.class);
            assertThat(runners.all()).extracting(r -> r.name()).containsExactly("declared", "own-runner");
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);

            EventStore store = context.getBean(EventStore.class);
            store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(event())).block(TIMEOUT);
            ProjectionBeans beans = context.getBean(ProjectionBeans.class);
            assertThat(beans.declaredSaw.asFlux().next().block(TIMEOUT).type()).isEqualTo("test.opened");
            assertThat(beans.ownSaw.asFlux().next().block(TIMEOUT).type()).isEqualTo("test.opened");
            ProjectionRunner declared = runners.get("declared").orElseThrow();
            ProjectionRunner own = runners.get("own-runner").orElseThrow();
            assertThat(declared.isRunning()).isTrue();
            assertThat(own.isRunning()).isTrue();

            context.close();
            assertThat(declared.isRunning()).isFalse();
            assertThat(own.isRunning()).isFalse();
        });
    }

    @Test
    void partitionedProjectionBeansStartAsAWholeWithTheContextAndStopWithIt() {
        runner.withUserConfiguration(PartitionedBeans.class).run(context -> {
            assertThat(context).hasNotFailed();
            ProjectionRunners runners = context.getBean(ProjectionRunners.class);
            PartitionedProjection balances = context.getBean(PartitionedProjection.class);
            assertThat(runners.partitioned()).containsExactly(balances);
            assertThat(runners.standalone()).isEmpty();
            assertThat(runners.all()).extracting(r -> r.name())
                    .containsExactly("balances#0/4", "balances#1/4", "balances#2/4", "balances#3/4");
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);

            EventStore store = context.getBean(EventStore.class);
            for (int i = 0; i < 8; i++) {
                store.append(StreamId.of("account", "a" + i), ExpectedVersion.noStream(), List.of(event())).block(TIMEOUT);
            }
            PartitionedBeans beans = context.getBean(PartitionedBeans.class);
            assertThat(beans.applied.asFlux().take(8).collectList().block(TIMEOUT)).extracting(e -> e.streamId().id())
                    .containsExactlyInAnyOrder("a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7");
            assertThat(balances.held()).containsExactlyInAnyOrder(0, 1, 2, 3);

            context.close();
            assertThat(balances.held()).isEmpty();
            assertThat(runners.all()).noneMatch(ProjectionRunner::isRunning);
        });
    }

    @Test
    void twoProjectionsOfOneNameFailWithAClearMessage() {
        runner.withBean("first", Projection.class, () -> Projection.of("same", EventQuery.all(), e -> Mono.empty()))
                .withBean("second", Projection.class, () -> Projection.of("same", EventQuery.all(), e -> Mono.empty()))
                .run(context -> assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("two projections are named 'same'"));
    }

    @Test
    void theDefaultPropertiesAreTheLibrarysDefaults() {
        runner.run(context -> {
            ReactiveesProperties properties = context.getBean(ReactiveesProperties.class);
            assertThat(properties.toOptions()).isEqualTo(PostgresEventStoreOptions.defaults());
            assertThat(properties.schemaInitialization()).isEqualTo(ReactiveesProperties.SchemaInitialization.ALWAYS);
        });
    }

    @Test
    void propertiesAreBound() {
        runner.withPropertyValues("reactivees.schema=orders", "reactivees.page-size=50", "reactivees.poll-interval=250ms",
                        "reactivees.write-lanes=4", "reactivees.batch.max-bytes=1MB", "reactivees.schema-initialization=never")
                .run(context -> {
                    ReactiveesProperties properties = context.getBean(ReactiveesProperties.class);
                    PostgresEventStoreOptions options = properties.toOptions();
                    assertThat(options.schema()).isEqualTo("orders");
                    assertThat(options.pageSize()).isEqualTo(50);
                    assertThat(options.pollInterval()).isEqualTo(Duration.ofMillis(250));
                    assertThat(options.writeLanes()).isEqualTo(4);
                    assertThat(options.maxBatchBytes()).isEqualTo(1L << 20);
                    assertThat(properties.schemaInitialization()).isEqualTo(ReactiveesProperties.SchemaInitialization.NEVER);
                });
    }

    @Test
    void badValuesFailTheStartNamingTheProperty() {
        expectFailure("reactivees.page-size=0", "reactivees.page-size must be positive: 0");
        expectFailure("reactivees.write-lanes=-1", "reactivees.write-lanes must be positive: -1");
        expectFailure("reactivees.poll-interval=0s", "reactivees.poll-interval must be positive");
        expectFailure("reactivees.schema=Not-A-Schema", "reactivees.schema:");
        expectFailure("reactivees.pool.initial-size=5", "reactivees.pool.initial-size (5) must not exceed reactivees.pool.max-size (1)",
                "reactivees.pool.max-size=1");
        expectFailure("reactivees.startup.max-backoff=1ms", "reactivees.startup.max-backoff (PT0.001S) must not be shorter");
        expectFailure("reactivees.health.timeout=0s", "reactivees.health.timeout must be positive");
        expectFailure("reactivees.metrics.lag-interval=-1s", "reactivees.metrics.lag-interval must be positive");
    }

    @Test
    void theRetryAndSnapshotPoliciesAreBeansFromTheProperties() {
        runner.run(context -> {
            assertThat(context.getBean(RetryPolicy.class)).isEqualTo(RetryPolicy.defaults());
            assertThat(context.getBean(SnapshotPolicy.class)).isEqualTo(SnapshotPolicy.never());
        });
        runner.withPropertyValues("reactivees.commands.retry.max-attempts=3", "reactivees.commands.retry.min-backoff=1ms",
                        "reactivees.commands.retry.max-backoff=20ms", "reactivees.commands.retry.jitter=0",
                        "reactivees.snapshots.every-events=100")
                .run(context -> {
                    assertThat(context.getBean(RetryPolicy.class))
                            .isEqualTo(new RetryPolicy(3, Duration.ofMillis(1), Duration.ofMillis(20), 0));
                    assertThat(context.getBean(SnapshotPolicy.class)).isEqualTo(SnapshotPolicy.everyEvents(100));
                });
        runner.withBean(RetryPolicy.class, RetryPolicy::none).withBean(SnapshotPolicy.class, () -> SnapshotPolicy.everyEvents(7))
                .run(context -> {
                    assertThat(context.getBean(RetryPolicy.class)).isEqualTo(RetryPolicy.none());
                    assertThat(context.getBean(SnapshotPolicy.class)).isEqualTo(SnapshotPolicy.everyEvents(7));
                });
    }

    @Test
    void badPolicyValuesFailTheStartNamingTheProperty() {
        expectFailure("reactivees.commands.retry.max-attempts=0", "reactivees.commands.retry.max-attempts must be positive: 0");
        expectFailure("reactivees.commands.retry.min-backoff=-1ms", "reactivees.commands.retry.min-backoff must not be negative");
        expectFailure("reactivees.commands.retry.max-backoff=1ms", "reactivees.commands.retry.max-backoff (PT0.001S) must not be shorter");
        expectFailure("reactivees.commands.retry.jitter=2", "reactivees.commands.retry.jitter must be within [0, 1]: 2.0");
        expectFailure("reactivees.snapshots.every-events=-5", "reactivees.snapshots.every-events must not be negative");
    }

    @Test
    void anUnknownSchemaInitializationFailsTheStart() {
        runner.withPropertyValues("reactivees.schema-initialization=sometimes").run(context ->
                assertThat(context).getFailure()
                        .hasMessageContaining("reactivees")
                        .rootCause().hasMessageContaining("sometimes"));
    }

    private void expectFailure(String property, String message, String... more) {
        runner.withPropertyValues(property).withPropertyValues(more).run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining(message));
    }

    static EventData event() {
        return EventData.of("test.opened", "{\"owner\":\"ada\"}".getBytes(StandardCharsets.UTF_8));
    }

    /** Stands for an application whose {@code @SpringBootApplication} is in the events' package. */
    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = TestEvents.class)
    static class ApplicationInTestEvents {}

    @Configuration(proxyBeanMethods = false)
    static class OwnBeans {
        static final EventStore STORE = InMemoryEventStore.create();
        static final SnapshotStore SNAPSHOTS = InMemorySnapshotStore.create();
        static final CheckpointStore CHECKPOINTS = new InMemoryCheckpointStore();
        static final EventTypeRegistry REGISTRY = EventTypeRegistry.of(TestEvents.Opened.class);
        static final EventSerializer SERIALIZER = JacksonEventSerializer.withDefaultMapper(REGISTRY);

        @Bean
        EventStore myStore() {
            return STORE;
        }

        @Bean
        SnapshotStore mySnapshots() {
            return SNAPSHOTS;
        }

        @Bean
        CheckpointStore myCheckpoints() {
            return CHECKPOINTS;
        }

        @Bean
        EventTypeRegistry myRegistry() {
            return REGISTRY;
        }

        @Bean
        EventSerializer mySerializer() {
            return SERIALIZER;
        }
    }

    /** A partitioned projection of one replica: a lease that every segment gets, a membership of one. */
    @Configuration(proxyBeanMethods = false)
    static class PartitionedBeans {
        final Sinks.Many<RecordedEvent> applied = Sinks.many().replay().all();

        @Bean
        PartitionedProjection balances(EventStore store) {
            InMemoryCheckpointStore checkpoints = new InMemoryCheckpointStore();
            ProjectionLease.Held held = new ProjectionLease.Held() {
                @Override
                public Mono<Void> lost() {
                    return Mono.never();
                }

                @Override
                public Mono<Void> release() {
                    return Mono.empty();
                }
            };
            ReplicaMembership alone = group -> Flux.just(1).concatWith(Flux.never());
            return PartitionedProjection.builder("balances", 4,
                    name -> ProjectionRunner.builder(store, checkpoints, Projection.of(name, EventQuery.all(), event -> {
                        // the segments' runners emit concurrently: each waits its turn at the sink
                        applied.emitNext(event, Sinks.EmitFailureHandler.busyLooping(Duration.ofSeconds(5)));
                        return Mono.empty();
                    })), segment -> Mono.just(held), alone).build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ProjectionBeans {
        final Sinks.Many<RecordedEvent> declaredSaw = Sinks.many().replay().all();
        final Sinks.Many<RecordedEvent> ownSaw = Sinks.many().replay().all();

        @Bean
        Projection declaredProjection() {
            return Projection.of("declared", EventQuery.all(), event -> {
                declaredSaw.tryEmitNext(event);
                return Mono.empty();
            });
        }

        @Bean
        ProjectionRunner ownRunner(EventStore store) {
            return ProjectionRunner.builder(store, new InMemoryCheckpointStore(), Projection.of("own-runner", EventQuery.all(),
                    event -> {
                        ownSaw.tryEmitNext(event);
                        return Mono.empty();
                    })).build();
        }
    }
}
