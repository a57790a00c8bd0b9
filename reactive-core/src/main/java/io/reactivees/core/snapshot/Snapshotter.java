package io.reactivees.core.snapshot;

import io.reactivees.core.StreamId;
import java.util.Objects;
import reactor.core.publisher.Mono;
import reactor.util.Logger;
import reactor.util.Loggers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Takes and restores snapshots of one kind of state: the {@link SnapshotStore} they live in, the
 * snapshot type name, the schema version of the state's JSON shape, the {@link SnapshotPolicy}, and
 * the Jackson {@link JsonMapper} and class that turn the state into JSON and back. Give one to
 * {@code AggregateRepository.Builder.snapshots} and the repository loads from the latest snapshot
 * plus the tail of the stream, and offers a new snapshot after each command that appends events.
 *
 * <pre>{@code
 * Snapshotter<Account> snapshots = Snapshotter.builder(snapshotStore, "account", jsonMapper, Account.class)
 *         .schemaVersion(2)                          // bump when Account's JSON shape changes
 *         .policy(SnapshotPolicy.everyEvents(100))
 *         .build();
 * }</pre>
 *
 * <p>Bump the schema version whenever the state's JSON shape or the meaning of its fields changes
 * (also when {@code evolve} changes what a state holds): snapshots of any other schema version are
 * then ignored and replaced as the policy takes new ones. Thread-safe and immutable.
 *
 * @param <S> the state type
 */
public final class Snapshotter<S> {

    private static final Logger LOG = Loggers.getLogger(Snapshotter.class);

    private final SnapshotStore store;
    private final String snapshotType;
    private final JsonMapper mapper;
    private final Class<S> stateClass;
    private final int schemaVersion;
    private final SnapshotPolicy policy;

    private Snapshotter(Builder<S> builder) {
        this.store = builder.store;
        this.snapshotType = builder.snapshotType;
        this.mapper = builder.mapper;
        this.stateClass = builder.stateClass;
        this.schemaVersion = builder.schemaVersion;
        this.policy = builder.policy;
    }

    /**
     * Returns a builder; the schema version is 1 and the policy {@code everyEvents(100)} unless set.
     *
     * @param store where the snapshots live
     * @param snapshotType names this kind of state in the store, e.g. {@code account}; keep it stable
     * @param mapper writes the state as JSON and reads it back; configured by the application
     * @param stateClass the state's class (or a supertype every state is an instance of) that JSON is
     *     decoded as
     * @param <S> the state type
     * @return the builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code snapshotType} is blank
     */
    public static <S> Builder<S> builder(SnapshotStore store, String snapshotType, JsonMapper mapper, Class<S> stateClass) {
        return new Builder<>(store, snapshotType, mapper, stateClass);
    }

    /** @return the store the snapshots live in */
    public SnapshotStore store() {
        return store;
    }

    /** @return the snapshot type name */
    public String snapshotType() {
        return snapshotType;
    }

    /** @return the class states are decoded as */
    public Class<S> stateClass() {
        return stateClass;
    }

    /** @return the schema version snapshots are written with and must have to be used */
    public int schemaVersion() {
        return schemaVersion;
    }

    /** @return when snapshots are taken */
    public SnapshotPolicy policy() {
        return policy;
    }

    /**
     * Loads the latest snapshot of a stream, if it is usable: of this schema version, and decodable
     * as the state class (into a non-null value). Whether it fits the stream (is not ahead of it)
     * only the caller can tell.
     *
     * @param stream the stream
     * @return a cold {@code Mono} of the decoded snapshot; empty when there is none, when it is of
     *     another schema version, or when it cannot be decoded (logged as a warning, since that is a
     *     shape change without a schema version bump). It fails with the store's errors.
     * @throws NullPointerException if {@code stream} is null
     */
    public Mono<Snapshot<S>> load(StreamId stream) {
        Objects.requireNonNull(stream, "stream must not be null");
        return store.load(stream, snapshotType).handle((stored, sink) -> {
            if (stored.schemaVersion() != schemaVersion) {
                LOG.debug("Ignoring snapshot {} of schema version {}: expected {}", stored, stored.schemaVersion(), schemaVersion);
                return;
            }
            S state;
            try {
                state = mapper.readValue(stored.data(), stateClass);
            } catch (RuntimeException e) {
                LOG.warn("Ignoring snapshot {}: it does not decode as {} ({}); bump the schema version when the state's shape changes",
                        stored, stateClass.getName(), e.toString());
                return;
            }
            if (state == null) {
                LOG.warn("Ignoring snapshot {}: it holds JSON null, not a {}", stored, stateClass.getName());
                return;
            }
            sink.next(new Snapshot<>(stream, snapshotType, stored.streamVersion(), schemaVersion, state));
        });
    }

    /**
     * Offers a snapshot of a state to the store under this snapshotter's policy; the state is
     * written as JSON only if the policy takes the snapshot.
     *
     * @param stream the stream the state was built from
     * @param streamVersion the number of events the state includes; at least 1
     * @param state the state
     * @param eventsSinceLastSnapshot events appended since the last usable snapshot (or since the
     *     stream began)
     * @return a cold {@code Mono} that emits {@code true} once a snapshot is saved, or {@code false}
     *     when the policy declined; it fails with {@link IllegalArgumentException} when the state
     *     cannot be written as JSON a store keeps, and with the store's errors
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code streamVersion} is below 1 or
     *     {@code eventsSinceLastSnapshot} is negative
     */
    public Mono<Boolean> offer(StreamId stream, long streamVersion, S state, long eventsSinceLastSnapshot) {
        Objects.requireNonNull(stream, "stream must not be null");
        Objects.requireNonNull(state, "state must not be null");
        if (streamVersion < 1) {
            throw new IllegalArgumentException("streamVersion must be at least 1: " + streamVersion);
        }
        return store.offer(policy, eventsSinceLastSnapshot,
                () -> new StoredSnapshot(stream, snapshotType, streamVersion, schemaVersion, encode(state)));
    }

    private byte[] encode(S state) {
        try {
            return mapper.writeValueAsBytes(state);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot write the state of class " + state.getClass().getName()
                    + " (snapshot type '" + snapshotType + "') as JSON: " + e.getOriginalMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "Snapshotter[" + snapshotType + ", schemaVersion=" + schemaVersion + ", policy=" + policy
                + ", state=" + stateClass.getName() + "]";
    }

    /**
     * Builds a {@link Snapshotter}.
     *
     * @param <S> the state type
     */
    public static final class Builder<S> {
        private final SnapshotStore store;
        private final String snapshotType;
        private final JsonMapper mapper;
        private final Class<S> stateClass;
        private int schemaVersion = 1;
        private SnapshotPolicy policy = SnapshotPolicy.everyEvents(100);

        private Builder(SnapshotStore store, String snapshotType, JsonMapper mapper, Class<S> stateClass) {
            this.store = Objects.requireNonNull(store, "store must not be null");
            this.snapshotType = StoredSnapshot.requireSnapshotType(snapshotType);
            this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
            this.stateClass = Objects.requireNonNull(stateClass, "stateClass must not be null");
        }

        /**
         * @param version the schema version of the state's JSON shape; 1 unless set
         * @return this builder
         * @throws IllegalArgumentException if {@code version} is negative
         */
        public Builder<S> schemaVersion(int version) {
            if (version < 0) {
                throw new IllegalArgumentException("schemaVersion must not be negative: " + version);
            }
            this.schemaVersion = version;
            return this;
        }

        /**
         * @param policy when to take snapshots; {@code everyEvents(100)} unless set
         * @return this builder
         * @throws NullPointerException if {@code policy} is null
         */
        public Builder<S> policy(SnapshotPolicy policy) {
            this.policy = Objects.requireNonNull(policy, "policy must not be null");
            return this;
        }

        /** @return the snapshotter */
        public Snapshotter<S> build() {
            return new Snapshotter<>(this);
        }
    }
}
