package io.reactivees.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.observation.ObservationRegistry;
import io.micrometer.observation.tck.TestObservationRegistry;
import io.reactivees.core.EventStore;
import io.reactivees.core.aggregate.CommandObserver;
import io.reactivees.inmemory.InMemoryEventStore;
import io.reactivees.spring.actuate.EventStoreHealthIndicator;
import io.reactivees.spring.actuate.ProjectionsEndpoint;
import io.reactivees.spring.actuate.ProjectionsHealthIndicator;
import io.reactivees.spring.actuate.ReadinessGroup;
import io.reactivees.spring.observation.ObservedCommands;
import io.reactivees.spring.observation.ObservedEventStore;
import io.reactivees.spring.observation.ReactiveesMeters;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.health.contributor.ReactiveHealthIndicator;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The optional parts of the auto-configuration: each appears with its classes and beans, backs off
 * for the application's own, and is absent without them.
 */
class ObservabilityAutoConfigurationTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(ReactiveesObservationAutoConfiguration.class, ReactiveesAutoConfiguration.class,
                    ReactiveesMetricsAutoConfiguration.class, ReactiveesHealthAutoConfiguration.class))
            .withBean(ObservationRegistry.class, TestObservationRegistry::create)
            .withBean(MeterRegistry.class, SimpleMeterRegistry::new);

    @Test
    void withARegistryTheStoreIsObservedAndTheOtherPartsAreThere() {
        runner.withPropertyValues("management.endpoints.web.exposure.include=reactiveesprojections").run(context -> {
            assertThat(context).hasNotFailed();
            EventStore store = context.getBean(EventStore.class);
            assertThat(store).isInstanceOf(ObservedEventStore.class);
            assertThat(((ObservedEventStore) store).delegate()).isSameAs(context.getBean(InMemoryEventStore.class));
            assertThat(context.getBean(CommandObserver.class)).isInstanceOf(ObservedCommands.class);
            assertThat(context).hasSingleBean(ReactiveesMeters.class).hasSingleBean(ReadinessGroup.class)
                    .hasSingleBean(ProjectionsHealthIndicator.class).hasSingleBean(EventStoreHealthIndicator.class)
                    .hasSingleBean(ProjectionsEndpoint.class);
            context.getBean(EventStoreLifecycle.class).ready().block(TIMEOUT);
            assertThat(context.getBean(EventStoreHealthIndicator.class).health().block(TIMEOUT).getStatus()).isEqualTo(Status.UP);
        });
    }

    @Test
    void theApplicationsOwnEventStoreReplacesTheAutoConfiguredOneAndIsNotWrapped() {
        runner.withUserConfiguration(OwnStore.class).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).hasSingleBean(EventStore.class);
            assertThat(context.getBean(EventStore.class)).isSameAs(OwnStore.STORE);
            assertThat(context.getBeansOfType(EventStore.class)).containsOnlyKeys("myStore");
        });
    }

    @Test
    void withoutMicrometerNothingIsObserved() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ReactiveesObservationAutoConfiguration.class, ReactiveesAutoConfiguration.class,
                        ReactiveesMetricsAutoConfiguration.class, ReactiveesHealthAutoConfiguration.class))
                .withClassLoader(new FilteredClassLoader(ObservationRegistry.class, MeterRegistry.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(EventStore.class)).isInstanceOf(InMemoryEventStore.class);
                    assertThat(context).doesNotHaveBean(CommandObserver.class).doesNotHaveBean(ReactiveesMeters.class);
                });
    }

    @Test
    void withoutARegistryBeanNothingIsObserved() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ReactiveesObservationAutoConfiguration.class, ReactiveesAutoConfiguration.class,
                        ReactiveesMetricsAutoConfiguration.class))
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context).hasSingleBean(EventStore.class).doesNotHaveBean(CommandObserver.class)
                            .doesNotHaveBean(ReactiveesMeters.class);
                });
    }

    @Test
    void withoutActuatorThereIsNoHealth() {
        runner.withClassLoader(new FilteredClassLoader(ReactiveHealthIndicator.class)).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(EventStoreHealthIndicator.class).doesNotHaveBean(ReadinessGroup.class)
                    .doesNotHaveBean(ProjectionsEndpoint.class);
        });
    }

    @Test
    void theIndicatorsCanBeTurnedOff() {
        runner.withPropertyValues("management.health.reactivees.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(EventStoreHealthIndicator.class).doesNotHaveBean(ProjectionsHealthIndicator.class);
            assertThat(widenedReadiness(context.getBean(ReadinessGroup.class)).isMember("reactiveesStore")).isFalse();
        });
    }

    @Test
    void readinessMembersTheApplicationListsItselfAreLeftAlone() {
        runner.withPropertyValues("management.endpoint.health.group.readiness.include=readinessState,db").run(context ->
                assertThat(widenedReadiness(context.getBean(ReadinessGroup.class)).isMember("reactiveesStore")).isFalse());
        runner.run(context -> {
            HealthEndpointGroup readiness = widenedReadiness(context.getBean(ReadinessGroup.class));
            assertThat(readiness.isMember("reactiveesStore")).isTrue();
            assertThat(readiness.isMember("reactiveesProjections")).isTrue();
            assertThat(readiness.isMember("readinessState")).isTrue();
            assertThat(readiness.isMember("diskSpace")).isFalse();
        });
    }

    @Test
    void theReadinessGroupIsWidenedWhereItExistsAndLivenessIsNot() {
        HealthEndpointGroup boots = groupOf("readinessState");
        HealthEndpointGroup liveness = groupOf("livenessState");
        HealthEndpointGroups groups = HealthEndpointGroups.of(groupOf("*"), Map.of("readiness", boots, "liveness", liveness));
        HealthEndpointGroups widened = new ReadinessGroup(java.util.Set.of("reactiveesStore"), true).postProcessHealthEndpointGroups(groups);
        assertThat(widened.get("readiness").isMember("reactiveesStore")).isTrue();
        assertThat(widened.get("readiness").isMember("readinessState")).isTrue();
        assertThat(widened.get("liveness")).isSameAs(liveness);
        assertThat(new ReadinessGroup(java.util.Set.of("reactiveesStore"), false).postProcessHealthEndpointGroups(groups))
                .as("probes disabled").isSameAs(groups);
    }

    /** The readiness group after our post-processor, run on groups that have none yet (before Boot's probes). */
    private static HealthEndpointGroup widenedReadiness(ReadinessGroup readinessGroup) {
        HealthEndpointGroups groups = HealthEndpointGroups.of(groupOf("*"), Map.of());
        HealthEndpointGroup readiness = readinessGroup.postProcessHealthEndpointGroups(groups).get("readiness");
        return readiness == null ? groupOf() : readiness;
    }

    private static HealthEndpointGroup groupOf(String... members) {
        java.util.Set<String> names = java.util.Set.of(members);
        return new HealthEndpointGroup() {
            @Override
            public boolean isMember(String name) {
                return names.contains("*") || names.contains(name);
            }

            @Override
            public boolean showComponents(org.springframework.boot.actuate.endpoint.SecurityContext securityContext) {
                return true;
            }

            @Override
            public boolean showDetails(org.springframework.boot.actuate.endpoint.SecurityContext securityContext) {
                return true;
            }

            @Override
            public org.springframework.boot.health.actuate.endpoint.StatusAggregator getStatusAggregator() {
                return org.springframework.boot.health.actuate.endpoint.StatusAggregator.getDefault();
            }

            @Override
            public org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper getHttpCodeStatusMapper() {
                return org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper.getDefault();
            }

            @Override
            public org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath getAdditionalPath() {
                return null;
            }
        };
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnStore {
        static final EventStore STORE = InMemoryEventStore.create();

        @Bean
        EventStore myStore() {
            return STORE;
        }
    }
}
