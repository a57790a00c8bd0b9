package io.reactivees.core.projection;

import io.reactivees.core.Position;
import reactor.core.publisher.Mono;

/**
 * Remembers, per projection name, the position of the last event a projection has applied. Every
 * method checks its arguments at call time (null or blank names fail with
 * {@link NullPointerException}/{@link IllegalArgumentException}) and returns a cold {@code Mono};
 * I/O failures arrive as {@link io.reactivees.core.StoreUnavailableException}.
 */
public interface CheckpointStore {

    /**
     * @param name the projection name
     * @return a {@code Mono} of the saved position, empty when there is none
     */
    Mono<Position> load(String name);

    /**
     * Saves a position, replacing the one saved before.
     *
     * @param name the projection name
     * @param position the position of the last applied event
     * @return a {@code Mono} that completes when the position is saved
     */
    Mono<Void> save(String name, Position position);

    /**
     * Forgets a projection's position, so it starts from the beginning (a rebuild).
     *
     * @param name the projection name
     * @return a {@code Mono} that completes when the position is gone (also when there was none)
     */
    Mono<Void> delete(String name);
}
