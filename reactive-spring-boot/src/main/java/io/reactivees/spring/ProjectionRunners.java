package io.reactivees.spring;

import io.reactivees.core.projection.PartitionedProjection;
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
 * lease), each {@code ProjectionRunner} bean the application declares itself (for instance a
 * transactional projection), and the segments' runners of each {@link PartitionedProjection} bean
 * (named {@code projection#index/count}). {@link EventStoreLifecycle} starts the runners and the
 * partitioned projections (which start their segments' runners themselves, within the replica's
 * share) once the store is ready, and stops them before it closes; use this bean to read their
 * state and lag or to rebuild one.
 */
public final class ProjectionRunners {

    private final Map<String, ProjectionRunner> byName;
    private final List<ProjectionRunner> standalone;
    private final List<PartitionedProjection> partitioned;

    /**
     * @param runners the runners
     * @throws NullPointerException if the list or a runner is null
     * @throws IllegalArgumentException if two runners run projections of the same name
     */
    public ProjectionRunners(List<ProjectionRunner> runners) {
        this(runners, List.of());
    }

    /**
     * @param runners the runners that run on their own
     * @param partitioned the partitioned projections, whose segments' runners are listed too
     * @throws NullPointerException if a list or an element is null
     * @throws IllegalArgumentException if two runners (or segments) have the same name
     */
    public ProjectionRunners(List<ProjectionRunner> runners, List<PartitionedProjection> partitioned) {
        Objects.requireNonNull(runners, "runners must not be null");
        Objects.requireNonNull(partitioned, "partitioned must not be null");
        this.standalone = List.copyOf(runners);
        this.partitioned = List.copyOf(partitioned);
        Map<String, ProjectionRunner> map = new LinkedHashMap<>();
        standalone.forEach(runner -> add(map, runner));
        this.partitioned.forEach(projection -> projection.runners().forEach(runner -> add(map, runner)));
        this.byName = Collections.unmodifiableMap(map);
    }

    private static void add(Map<String, ProjectionRunner> map, ProjectionRunner runner) {
        Objects.requireNonNull(runner, "runner must not be null");
        String name = runner.name();
        if (map.putIfAbsent(name, runner) != null) {
            throw new IllegalArgumentException("two projections are named '" + name
                    + "' (Projection, ProjectionRunner or PartitionedProjection beans); each needs a name of its own,"
                    + " since it keys the projection's checkpoint and lease");
        }
    }

    /** @return every runner, the segments' runners of the partitioned projections last, in the order the beans were declared */
    public Collection<ProjectionRunner> all() {
        return byName.values();
    }

    /** @return the runners that run on their own (not a segment of a partitioned projection), in declaration order */
    public List<ProjectionRunner> standalone() {
        return standalone;
    }

    /** @return the partitioned projections, in declaration order */
    public List<PartitionedProjection> partitioned() {
        return partitioned;
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
