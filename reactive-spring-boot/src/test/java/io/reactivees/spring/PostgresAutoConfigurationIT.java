package io.reactivees.spring;

import io.reactivees.core.PreparedEventStore;
import static org.assertj.core.api.Assertions.assertThat;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.EventQuery;
import io.reactivees.core.EventStore;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StoreConfigurationException;
import io.reactivees.core.StoreUnavailableException;
import io.reactivees.core.StreamId;
import io.reactivees.core.projection.CheckpointStore;
import io.reactivees.core.projection.Projection;
import io.reactivees.core.projection.ProjectionLease;
import io.reactivees.core.projection.ProjectionRunner;
import io.reactivees.core.snapshot.SnapshotStore;
import io.reactivees.r2dbc.PostgresCheckpointStore;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import io.reactivees.r2dbc.PostgresProjectionLease;
import io.reactivees.r2dbc.PostgresSnapshotStore;
import io.reactivees.r2dbc.PostgresTestDatabase;
import io.reactivees.spring.actuate.EventStoreHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.r2dbc.OptionsCapableConnectionFactory;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.test.util.ReflectionTestUtils;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The auto-configuration with a {@code ConnectionFactory}: Boot's, from {@code spring.r2dbc.url}
 * (the test database: {@code REACTIVEES_TEST_R2DBC_URL} first, see {@link PostgresTestDatabase}),
 * or the application's own. Each test works in a schema of its own, dropped afterwards.
 */
class PostgresAutoConfigurationIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private String schema;
    private ApplicationContextRunner runner;

    @BeforeEach
    void freshSchema() {
        schema = PostgresTestDatabase.newSchema();
        runner = new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(R2dbcAutoConfiguration.class, ReactiveesAutoConfiguration.class))
                .withPropertyValues("spring.r2dbc.url=" + PostgresTestDatabase.url(), "spring.r2dbc.pool.initial-size=0",
                        "spring.r2dbc.pool.max-size=4",
                        "reactivees.schema=" + schema);
    }

    @AfterEach
    void dropSchema() {
        PostgresTestDatabase.dropSchema(schema);
    }

    @Test
    void withBootsConnectionFactoryTheStoresArePostgresOnBootsPool() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            PostgresEventStore store = context.getBean(PostgresEventStore.class);
            assertThat(store.options().schema()).isEqualTo(schema);
            assertThat(context.getBean(EventStore.class)).isInstanceOf(PreparedEventStore.class);
            assertThat(((PreparedEventStore) context.getBean(EventStore.class)).delegate()).isSameAs(store);
            assertThat(context.getBean(SnapshotStore.class)).isInstanceOf(PostgresSnapshotStore.class);
            assertThat(context.getBean(CheckpointStore.class)).isInstanceOf(PostgresCheckpointStore.class);
            assertThat(context.getBean(ProjectionLease.class)).isInstanceOf(PostgresProjectionLease.class);
            assertThat(context).hasSingleBean(EventStoreLifecycle.class).hasSingleBean(PostgresEventStore.class);

            // no second pool: the store works on Boot's
            ConnectionFactory boots = context.getBean(ConnectionFactory.class);
            assertThat(boots).isInstanceOf(ConnectionPool.class);
            assertThat(ReflectionTestUtils.getField(store, "pool")).isSameAs(boots);
            assertThat(ReflectionTestUtils.getField(store, "ownsPool")).isEqualTo(false);
            // binary results, through Boot's options customizer
            ConnectionFactoryOptions options = OptionsCapableConnectionFactory.unwrapFrom(boots).getOptions();
            assertThat(options.getValue(PostgresqlConnectionFactoryProvider.FORCE_BINARY)).isEqualTo(true);
        });
    }

    @Test
    void registeredForEnableAutoConfigurationAndOrderedAfterBootsR2dbc() {
        new ApplicationContextRunner()
                .withUserConfiguration(AutoConfiguredApplication.class)
                .withPropertyValues("spring.r2dbc.url=" + PostgresTestDatabase.url(), "spring.r2dbc.pool.initial-size=0",
                        "spring.r2dbc.pool.max-size=4", "reactivees.schema=" + schema)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    // found through META-INF/spring/...AutoConfiguration.imports, after Boot's ConnectionFactory
                    assertThat(context).hasSingleBean(PostgresEventStore.class);
                    assertThat(ReflectionTestUtils.getField(context.getBean(PostgresEventStore.class), "pool"))
                            .isSameAs(context.getBean(ConnectionFactory.class));
                    // the events of the application's package (io.reactivees.spring and below)
                    assertThat(context.getBean(io.reactivees.core.serialization.EventSerializer.class)
                            .typeOf(io.reactivees.spring.testevents.TestEvents.Deposited.class)).isEqualTo("test.deposited");
                    context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                });
    }

    @Test
    void theSchemaIsMigratedAtStart() {
        runner.run(context -> {
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
            // straight on the store, not through the waiting EventStore bean: migrated already
            PostgresEventStore store = context.getBean(PostgresEventStore.class);
            StreamId stream = StreamId.of("account", "1");
            store.append(stream, ExpectedVersion.noStream(), List.of(ReactiveesAutoConfigurationTest.event())).block(TIMEOUT);
            assertThat(store.readStream(stream).count().block(TIMEOUT)).isEqualTo(1L);
        });
    }

    @Test
    void operationsWaitForTheMigration() {
        runner.run(context -> {
            EventStore store = context.getBean(EventStore.class);
            StreamId stream = StreamId.of("account", "2");
            // no wait for ready(): the bean's operations wait themselves
            store.append(stream, ExpectedVersion.noStream(), List.of(ReactiveesAutoConfigurationTest.event())).block(TIMEOUT);
            assertThat(store.streamVersion(stream).block(TIMEOUT)).isEqualTo(1L);
        });
    }

    @Test
    void theSchemaIsLeftAloneWithNever() {
        runner.withPropertyValues("reactivees.schema-initialization=never").run(context -> {
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
            EventStore store = context.getBean(EventStore.class);
            Throwable error = store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(),
                            List.of(ReactiveesAutoConfigurationTest.event()))
                    .then(Mono.<Throwable>empty())
                    .onErrorResume(Mono::just)
                    .block(TIMEOUT);
            assertThat(error).isInstanceOf(StoreConfigurationException.class);
        });
    }

    @Test
    void aProjectionBeanRunsUnderItsLeaseAndStopsWithTheContext() {
        Sinks.Many<RecordedEvent> seen = Sinks.many().replay().all();
        runner.withBean(Projection.class, () -> Projection.of("balances", EventQuery.all(), event -> {
                    seen.tryEmitNext(event);
                    return Mono.empty();
                }))
                .run(context -> {
                    context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                    ProjectionRunner balances = context.getBean(ProjectionRunners.class).get("balances").orElseThrow();
                    assertThat(balances.isRunning()).isTrue();
                    context.getBean(EventStore.class).append(StreamId.of("account", "1"), ExpectedVersion.noStream(),
                            List.of(ReactiveesAutoConfigurationTest.event())).block(TIMEOUT);
                    RecordedEvent applied = seen.asFlux().next().block(TIMEOUT);
                    assertThat(applied.type()).isEqualTo("test.opened");
                    // the checkpoint is saved after the handler: wait for it
                    CheckpointStore checkpoints = context.getBean(CheckpointStore.class);
                    assertThat(checkpoints.load("balances").repeatWhenEmpty(100, r -> r.delayElements(Duration.ofMillis(50)))
                            .block(TIMEOUT)).isEqualTo(applied.position());

                    PostgresEventStore store = context.getBean(PostgresEventStore.class);
                    context.close();
                    assertThat(balances.isRunning()).isFalse();
                    // the lifecycle closed the store after the runner stopped: it refuses appends
                    Throwable refused = store.append(StreamId.of("account", "2"), ExpectedVersion.noStream(),
                                    List.of(ReactiveesAutoConfigurationTest.event()))
                            .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(TIMEOUT);
                    assertThat(refused).isInstanceOf(StoreUnavailableException.class);
                });
    }

    @Test
    void withoutALeaseEveryReplicaRunsItsProjections() {
        runner.withPropertyValues("reactivees.projections.lease=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(ProjectionLease.class));
    }

    @Test
    void anUnreachableDatabaseDoesNotHoldUpTheStartNorTheStop() {
        runner.withPropertyValues("spring.r2dbc.url=r2dbc:postgresql://postgres@127.0.0.1:1/nowhere",
                        "reactivees.startup.min-backoff=50ms", "reactivees.startup.max-backoff=100ms")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    EventStoreLifecycle lifecycle = context.getBean(EventStoreLifecycle.class);
                    assertThat(lifecycle.isRunning()).isTrue();
                    // still retrying the migration: not ready, and operations fail with the cause
                    assertThat(lifecycle.ready().then(Mono.just("ready"))
                            .timeout(Duration.ofMillis(500), Mono.just("still preparing")).block(TIMEOUT))
                            .isEqualTo("still preparing");
                    assertThat(context.getBean(EventStore.class).streamVersion(StreamId.of("account", "1"))
                            .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(TIMEOUT))
                            .isInstanceOf(StoreUnavailableException.class);
                    long start = System.nanoTime();
                    context.close();
                    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(20));
                    assertThat(lifecycle.isRunning()).isFalse();
                });
    }

    @Test
    void aSchemaNewerThanTheLibraryIsReportedToTheCallerAndNeverReady() {
        PostgresTestDatabase.execute("CREATE SCHEMA \"" + schema + "\"");
        PostgresTestDatabase.execute("CREATE TABLE \"" + schema + "\".schema_migrations"
                + " (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())");
        PostgresTestDatabase.execute("INSERT INTO \"" + schema + "\".schema_migrations (version) VALUES (9999)");
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            EventStoreLifecycle lifecycle = context.getBean(EventStoreLifecycle.class);
            assertThat(lifecycle.ready().then(Mono.just("ready"))
                    .timeout(Duration.ofMillis(500), Mono.just("not ready")).block(TIMEOUT)).isEqualTo("not ready");
            Throwable error = context.getBean(EventStore.class).streamVersion(StreamId.of("account", "1"))
                    .then(Mono.<Throwable>empty()).onErrorResume(Mono::just).block(TIMEOUT);
            assertThat(error).isInstanceOf(StoreConfigurationException.class)
                    .hasMessageContaining("newer than this library knows");
        });
    }

    @Test
    void aWrappedFactoryIsUnwrappedToItsPool() {
        ConnectionPool pool = new ConnectionPool(ConnectionPoolConfiguration.builder(
                PostgresEventStore.connectionFactory(PostgresTestDatabase.url())).initialSize(0).maxSize(4).build());
        try {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(ReactiveesAutoConfiguration.class))
                    .withBean(ConnectionFactory.class, () -> new ConnectionPoolsTest.Wrapper(pool))
                    .withPropertyValues("reactivees.schema=" + schema)
                    .run(context -> {
                        assertThat(context).hasNotFailed();
                        PostgresEventStore store = context.getBean(PostgresEventStore.class);
                        assertThat(ReflectionTestUtils.getField(store, "pool")).isSameAs(pool);
                        context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                        context.getBean(EventStore.class).append(StreamId.of("account", "1"), ExpectedVersion.noStream(),
                                List.of(ReactiveesAutoConfigurationTest.event())).block(TIMEOUT);
                    });
            assertThat(pool.isDisposed()).as("the application's pool is the application's to close").isFalse();
        } finally {
            pool.disposeLater().block(TIMEOUT);
        }
    }

    @Test
    void theApplicationsOwnPostgresStoreWins() {
        runner.withUserConfiguration(OwnStore.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(PostgresEventStore.class);
                    PostgresEventStore mine = context.getBean("myStore", PostgresEventStore.class);
                    assertThat(((PreparedEventStore) context.getBean(EventStore.class)).delegate()).isSameAs(mine);
                    context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                    assertThat(mine.streamVersion(StreamId.of("account", "1")).blockOptional(TIMEOUT)).isEmpty();
                });
    }

    @Test
    @SuppressWarnings("unchecked")
    void withoutALiveSubscriptionTheHealthProbeReadsAStreamNotTheWholeLog() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(R2dbcAutoConfiguration.class, ReactiveesAutoConfiguration.class,
                        ReactiveesHealthAutoConfiguration.class))
                .withPropertyValues("spring.r2dbc.url=" + PostgresTestDatabase.url(), "spring.r2dbc.pool.initial-size=0",
                        "spring.r2dbc.pool.max-size=4", "reactivees.schema=" + schema)
                .run(context -> {
                    EventStoreHealthIndicator health = context.getBean("reactiveesStoreHealthIndicator", EventStoreHealthIndicator.class);
                    context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
                    Health idle = health.health().block(TIMEOUT);
                    assertThat(idle.getStatus()).isEqualTo(Status.UP);
                    assertThat(idle.getDetails().get("feed")).isEqualTo(java.util.Map.of("running", false));

                    // with a live subscription, the feed's own status and lag
                    EventStore store = context.getBean(EventStore.class);
                    reactor.core.Disposable live = store.subscribe(EventQuery.all()).subscribe();
                    try {
                        store.append(StreamId.of("account", "1"), ExpectedVersion.noStream(), List.of(ReactiveesAutoConfigurationTest.event()))
                                .block(TIMEOUT);
                        Health running = Mono.fromSupplier(() -> context.getBean(PostgresEventStore.class).liveSubscriptions())
                                .filter(count -> count > 0)
                                .repeatWhenEmpty(200, r -> r.delayElements(Duration.ofMillis(50)))
                                .then(health.health())
                                .block(TIMEOUT);
                        assertThat(running.getStatus()).isEqualTo(Status.UP);
                        assertThat((java.util.Map<String, Object>) running.getDetails().get("feed")).containsKey("eventsBehind")
                                .containsEntry("running", true);
                    } finally {
                        live.dispose();
                    }
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {
        @Bean(destroyMethod = "")
        PostgresEventStore myStore(ConnectionFactory connectionFactory, Environment environment) {
            return PostgresEventStore.builder(ConnectionPools.forStore(connectionFactory))
                    .options(PostgresEventStoreOptions.builder()
                            .schema(environment.getRequiredProperty("reactivees.schema"))
                            .writeLanes(1)
                            .build())
                    .build();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class AutoConfiguredApplication {}
}
