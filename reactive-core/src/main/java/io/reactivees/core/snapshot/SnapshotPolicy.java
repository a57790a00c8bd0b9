package io.reactivees.core.snapshot;

/**
 * When to take a snapshot, decided from the number of events appended to a stream since its last
 * usable snapshot (or since its start, when it has none). Create one with {@link #never()} or
 * {@link #everyEvents(long)}.
 *
 * <pre>{@code
 * SnapshotPolicy.everyEvents(100); // a snapshot once 100 events have piled up on top of the last one
 * }</pre>
 */
public sealed interface SnapshotPolicy permits SnapshotPolicy.Never, SnapshotPolicy.EveryEvents {

    /** @return a policy that never takes a snapshot */
    static SnapshotPolicy never() {
        return Never.INSTANCE;
    }

    /**
     * Returns a policy that takes a snapshot once at least {@code events} events have been appended
     * since the last one.
     *
     * @param events how many; at least 1 ({@code everyEvents(1)} snapshots after every write)
     * @return the policy
     * @throws IllegalArgumentException if {@code events} is below 1
     */
    static SnapshotPolicy everyEvents(long events) {
        return new EveryEvents(events);
    }

    /**
     * Decides.
     *
     * @param eventsSinceLastSnapshot events appended since the last usable snapshot; not negative
     * @return whether to take a snapshot now
     * @throws IllegalArgumentException if {@code eventsSinceLastSnapshot} is negative
     */
    boolean shouldTake(long eventsSinceLastSnapshot);

    /** See {@link SnapshotPolicy#never()}. */
    enum Never implements SnapshotPolicy {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean shouldTake(long eventsSinceLastSnapshot) {
            EveryEvents.requireCount(eventsSinceLastSnapshot);
            return false;
        }

        @Override
        public String toString() {
            return "never";
        }
    }

    /**
     * See {@link SnapshotPolicy#everyEvents(long)}.
     *
     * @param events the number of events between snapshots; at least 1
     */
    record EveryEvents(long events) implements SnapshotPolicy {

        /**
         * Validates the count.
         *
         * @throws IllegalArgumentException if {@code events} is below 1
         */
        public EveryEvents {
            if (events < 1) {
                throw new IllegalArgumentException("events must be at least 1: " + events);
            }
        }

        @Override
        public boolean shouldTake(long eventsSinceLastSnapshot) {
            return requireCount(eventsSinceLastSnapshot) >= events;
        }

        @Override
        public String toString() {
            return "every " + events + " events";
        }

        private static long requireCount(long eventsSinceLastSnapshot) {
            if (eventsSinceLastSnapshot < 0) {
                throw new IllegalArgumentException("eventsSinceLastSnapshot must not be negative: " + eventsSinceLastSnapshot);
            }
            return eventsSinceLastSnapshot;
        }
    }
}
