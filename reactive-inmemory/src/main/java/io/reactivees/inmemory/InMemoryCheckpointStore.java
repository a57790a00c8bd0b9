package io.reactivees.inmemory;

import io.reactivees.core.Position;
import io.reactivees.core.projection.CheckpointStore;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import reactor.core.publisher.Mono;

/** A {@link CheckpointStore} in memory, for tests and prototypes. Thread-safe. */
public final class InMemoryCheckpointStore implements CheckpointStore {

    private final Map<String, Position> positions = new ConcurrentHashMap<>();

    @Override
    public Mono<Position> load(String name) {
        requireName(name);
        return Mono.fromSupplier(() -> positions.get(name));
    }

    @Override
    public Mono<Void> save(String name, Position position) {
        requireName(name);
        Objects.requireNonNull(position, "position must not be null");
        return Mono.fromRunnable(() -> positions.put(name, position));
    }

    @Override
    public Mono<Void> delete(String name) {
        requireName(name);
        return Mono.fromRunnable(() -> positions.remove(name));
    }

    private static void requireName(String name) {
        Objects.requireNonNull(name, "name must not be null");
        if (name.isBlank()) {
            throw new IllegalArgumentException("name must not be blank");
        }
    }
}
