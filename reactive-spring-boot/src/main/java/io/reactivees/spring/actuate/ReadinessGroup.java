package io.reactivees.spring.actuate;

import java.util.List;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.EndpointId;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.web.AdditionalPathsMapper;
import org.springframework.boot.actuate.endpoint.web.WebServerNamespace;
import org.springframework.boot.health.actuate.endpoint.AdditionalHealthEndpointPath;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroup;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroups;
import org.springframework.boot.health.actuate.endpoint.HealthEndpointGroupsPostProcessor;
import org.springframework.boot.health.actuate.endpoint.HttpCodeStatusMapper;
import org.springframework.boot.health.actuate.endpoint.StatusAggregator;
import org.springframework.core.Ordered;

/**
 * Puts the event store's health indicators into the {@code readiness} health group (the one
 * Boot's availability probes create, {@code /actuator/health/readiness}), never into
 * {@code liveness}: while the database is away the application should get no traffic, but an
 * orchestrator must not restart it, since its runners ride the outage out. It changes nothing when
 * the application configures the readiness group's members itself
 * ({@code management.endpoint.health.group.readiness.include}), or when there is no readiness group
 * ({@code management.endpoint.health.probes.enabled=false}). When it runs before Boot's probes
 * post-processor (both are ordered last), it creates the group as that one would (members
 * {@code readinessState} and these, no components or details shown), and Boot's keeps it.
 */
public final class ReadinessGroup implements HealthEndpointGroupsPostProcessor, Ordered {

    /** The group's name, as Boot's probes name it. */
    public static final String READINESS = "readiness";

    private final Set<String> members;
    private final boolean probes;

    /**
     * @param members the health contributors to add to the group, by name; none changes nothing
     * @param probes whether Boot's availability probes are enabled (and so there is a readiness group)
     * @throws NullPointerException if {@code members} is null
     */
    public ReadinessGroup(Set<String> members, boolean probes) {
        this.members = Set.copyOf(Objects.requireNonNull(members, "members must not be null"));
        this.probes = probes;
    }

    @Override
    public HealthEndpointGroups postProcessHealthEndpointGroups(HealthEndpointGroups groups) {
        if (members.isEmpty() || !probes) {
            return groups;
        }
        HealthEndpointGroup readiness = groups.get(READINESS);
        return new Groups(groups, new Group(readiness != null ? readiness : new ProbeGroup(), members));
    }

    @Override
    public int getOrder() {
        return Ordered.LOWEST_PRECEDENCE;
    }

    /** The groups, with the readiness group widened; additional paths ({@code /readyz}) kept. */
    private record Groups(HealthEndpointGroups delegate, HealthEndpointGroup readiness)
            implements HealthEndpointGroups, AdditionalPathsMapper {

        @Override
        public HealthEndpointGroup getPrimary() {
            return delegate.getPrimary();
        }

        @Override
        public Set<String> getNames() {
            Set<String> names = new java.util.LinkedHashSet<>(delegate.getNames());
            names.add(READINESS);
            return java.util.Collections.unmodifiableSet(names);
        }

        @Override
        public HealthEndpointGroup get(String name) {
            return READINESS.equals(name) ? readiness : delegate.get(name);
        }

        @Override
        public List<String> getAdditionalPaths(EndpointId endpointId, WebServerNamespace webServerNamespace) {
            return delegate instanceof AdditionalPathsMapper mapper ? mapper.getAdditionalPaths(endpointId, webServerNamespace) : null;
        }
    }

    /** The readiness group as Boot's probes make it: {@code readinessState}, nothing shown but the status. */
    private record ProbeGroup() implements HealthEndpointGroup {

        @Override
        public boolean isMember(String name) {
            return "readinessState".equals(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return false;
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return false;
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return StatusAggregator.getDefault();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return HttpCodeStatusMapper.getDefault();
        }

        @Override
        public @Nullable AdditionalHealthEndpointPath getAdditionalPath() {
            return null;
        }
    }

    /** A group with more members. */
    private record Group(HealthEndpointGroup delegate, Set<String> members) implements HealthEndpointGroup {

        @Override
        public boolean isMember(String name) {
            return members.contains(name) || delegate.isMember(name);
        }

        @Override
        public boolean showComponents(SecurityContext securityContext) {
            return delegate.showComponents(securityContext);
        }

        @Override
        public boolean showDetails(SecurityContext securityContext) {
            return delegate.showDetails(securityContext);
        }

        @Override
        public StatusAggregator getStatusAggregator() {
            return delegate.getStatusAggregator();
        }

        @Override
        public HttpCodeStatusMapper getHttpCodeStatusMapper() {
            return delegate.getHttpCodeStatusMapper();
        }

        @Override
        public AdditionalHealthEndpointPath getAdditionalPath() {
            return delegate.getAdditionalPath();
        }
    }
}
