/**
 * Turns domain events into {@link io.reactivees.core.EventData} and stored
 * {@link io.reactivees.core.RecordedEvent}s back into domain events.
 *
 * <p>{@link io.reactivees.core.serialization.EventSerializer} is the contract;
 * {@link io.reactivees.core.serialization.JacksonEventSerializer} is the default, built from an
 * injected {@code JsonMapper}, an {@link io.reactivees.core.serialization.EventTypeRegistry} (class
 * to stable type name, declared with {@link io.reactivees.core.serialization.EventType} or by hand)
 * and {@link io.reactivees.core.serialization.Upcaster}s that rewrite old types and shapes before
 * decoding. A stored event that cannot be decoded fails with
 * {@link io.reactivees.core.EventDecodingException}; it never becomes null. No method accepts or
 * returns null unless its documentation says so.
 *
 * <p>Null-marked: nothing here takes or returns null unless it says {@code @Nullable}.
 */
@NullMarked
package io.reactivees.core.serialization;

import org.jspecify.annotations.NullMarked;
