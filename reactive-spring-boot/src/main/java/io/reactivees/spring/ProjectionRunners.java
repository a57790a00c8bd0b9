package io.reactivees.spring;

import io.reactivees.core.projection.ProjectionRunner;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The application's projection runners, by projection name: one for each {@code Projection} bean
 * (built by the auto-configuration over the checkpoint store and, on PostgreSQL, the projection
 * lease) and each {@code ProjectionRunner} bean the application declares itself (for instance a
 * transactional projection). {@link EventStoreLifecycle} starts them once the store is ready and
 * stops them before it closes; use this bean to read their state and lag or to rebuild one.
 */
public final class ProjectionRunners {

    private final Map<String, ProjectionRunner> byName;

    /**
     * @param runners the runners
     * @throws NullPointerException if the list or a runner is null
     * @throws IllegalArgumentException if two runners run projections of the same name
     */
    public ProjectionRunners(List<ProjectionRunner> runners) {
        Objects.requireNonNull(runners, "runners must not be null");
        Map<String, ProjectionRunner> map = new LinkedHashMap<>();
        for (ProjectionRunner runner : runners) {
            Objects.requireNonNull(runner, "runner must not be null");
            String name = runner.name();
            if (map.putIfAbsent(name, runner) != null) {
                throw new IllegalArgumentException("two projections are named '" + name
                        + "' (Projection or ProjectionRunner beans); each needs a name of its own,"
                        + " since it keys the projection's checkpoint and lease");
            }
        }
        this.byName = Collections.unmodifiableMap(map);
    }

    /** @return every runner, in the order the beans were declared */
    public Collection<ProjectionRunner> all() {
        return byName.values();
    }

    /**
     * @param projectionName a projection's name
     * @return its runner, if there is one
     */
    public Optional<ProjectionRunner> get(String projectionName) {
        return Optional.ofNullable(byName.get(projectionName));
    }

    @Override
    public String toString() {
        return "ProjectionRunners" + byName.keySet();
    }
}
