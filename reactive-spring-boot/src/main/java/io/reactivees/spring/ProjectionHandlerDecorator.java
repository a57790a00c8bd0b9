package io.reactivees.spring;

import io.reactivees.core.projection.CheckpointedHandler;

/**
 * Wraps the handler of each runner the starter builds for a {@code Projection} bean: the starter
 * declares one that observes each event's handling with Micrometer (continuing the trace the event's
 * metadata carries) when an {@code ObservationRegistry} is present. Every bean of this type is
 * applied, in order. The runners of {@code ProjectionRunner} beans the application declares are its
 * own to wrap (see {@code io.reactivees.spring.observation.ObservedProjections}).
 */
@FunctionalInterface
public interface ProjectionHandlerDecorator {

    /**
     * @param handler the handler so far
     * @return the handler wrapped, or {@code handler} itself
     */
    CheckpointedHandler decorate(CheckpointedHandler handler);
}
