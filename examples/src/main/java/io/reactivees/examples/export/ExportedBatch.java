package io.reactivees.examples.export;

import io.reactivees.core.Position;
import java.util.Objects;

/**
 * One batch an {@link EventExporter} has written and checkpointed.
 *
 * @param size how many events it held; positive
 * @param last the position of its last event, now the exporter's checkpoint
 */
public record ExportedBatch(int size, Position last) {

    /**
     * @throws NullPointerException if {@code last} is null
     * @throws IllegalArgumentException if {@code size} is not positive
     */
    public ExportedBatch {
        Objects.requireNonNull(last, "last must not be null");
        if (size <= 0) {
            throw new IllegalArgumentException("size must be positive: " + size);
        }
    }
}
