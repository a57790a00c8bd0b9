package io.reactivees.core;

import java.io.Serializable;

/**
 * The condition an append places on the stream's version before it writes. A stream's version is
 * the number of events in it; a stream that does not exist has version 0.
 *
 * <p>Create one with {@link #any()}, {@link #noStream()}, {@link #streamExists()} or
 * {@link #exact(long)}.
 *
 * <p>Serializable, so that a {@link ConcurrencyConflictException} is; the three conditions without
 * a version are enum constants and stay singletons through serialization.
 */
public sealed interface ExpectedVersion extends Serializable
        permits ExpectedVersion.Any, ExpectedVersion.NoStream, ExpectedVersion.StreamExists,
                ExpectedVersion.Exact {

    /** No condition: the append never conflicts. */
    static ExpectedVersion any() {
        return Any.INSTANCE;
    }

    /** The stream must not exist yet (version 0). */
    static ExpectedVersion noStream() {
        return NoStream.INSTANCE;
    }

    /** The stream must exist (version at least 1). */
    static ExpectedVersion streamExists() {
        return StreamExists.INSTANCE;
    }

    /**
     * The stream must be at exactly this version; {@code exact(0)} means the stream must not exist.
     *
     * @throws IllegalArgumentException if {@code version} is negative
     */
    static ExpectedVersion exact(long version) {
        return new Exact(version);
    }

    /**
     * Tells whether a stream at {@code currentVersion} (0 when it does not exist) meets this
     * condition.
     */
    boolean isSatisfiedBy(long currentVersion);

    /** See {@link ExpectedVersion#any()}. */
    enum Any implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return true;
        }

        @Override
        public String toString() {
            return "any";
        }
    }

    /** See {@link ExpectedVersion#noStream()}. */
    enum NoStream implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion == 0;
        }

        @Override
        public String toString() {
            return "no stream";
        }
    }

    /** See {@link ExpectedVersion#streamExists()}. */
    enum StreamExists implements ExpectedVersion {
        /** The only instance. */
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion > 0;
        }

        @Override
        public String toString() {
            return "stream exists";
        }
    }

    /**
     * See {@link ExpectedVersion#exact(long)}.
     *
     * @param version the version the stream must be at; not negative
     */
    record Exact(long version) implements ExpectedVersion {

        /**
         * Validates the version.
         *
         * @throws IllegalArgumentException if {@code version} is negative
         */
        public Exact {
            if (version < 0) {
                throw new IllegalArgumentException("expected version must not be negative: " + version);
            }
        }

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion == version;
        }

        @Override
        public String toString() {
            return "version " + version;
        }
    }
}
