package io.reactivees.core.serialization;

import io.reactivees.core.EventData;
import io.reactivees.core.EventDecodingException;
import io.reactivees.core.RecordedEvent;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.UUID;

/**
 * Maps domain events (plain Java objects, typically records) to {@link EventData} for appending,
 * and {@link RecordedEvent}s read from a store back to domain events. Every event class has a
 * stable type name that is stored with the event and picks the class when it is read.
 *
 * <p>Implementations are thread-safe and never block on I/O, so they may be called on any
 * scheduler. Null arguments fail at call time with {@link NullPointerException}; no method returns
 * null.
 */
public interface EventSerializer {

    /**
     * Serializes an event with the given id and metadata.
     *
     * @param event the domain event; its exact class must be registered
     * @param eventId the id to append it with
     * @param metadata the metadata, one UTF-8 JSON object
     * @return the event ready to append, with the event class's type name
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the event's class is not registered (the message names
     *     it), the event cannot be written as JSON, or {@code metadata} is not one JSON object
     */
    EventData serialize(Object event, UUID eventId, byte[] metadata);

    /**
     * Serializes an event with a random id and empty metadata ({@code {}}).
     *
     * @param event the domain event; its exact class must be registered
     * @return the event ready to append
     * @throws NullPointerException if {@code event} is null
     * @throws IllegalArgumentException if the event's class is not registered or the event cannot be
     *     written as JSON
     */
    default EventData serialize(Object event) {
        Objects.requireNonNull(event, "event must not be null");
        return serialize(event, UUID.randomUUID(), "{}".getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Decodes a stored event into the domain event its (possibly upcast) type name is registered
     * for.
     *
     * @param event the stored event
     * @return the domain event; never null
     * @throws NullPointerException if {@code event} is null
     * @throws EventDecodingException naming the event's stream, version and stored type, if no class
     *     is registered for its type, an upcaster fails, or the payload is not a JSON value of the
     *     class's shape (including JSON {@code null})
     */
    Object deserialize(RecordedEvent event);

    /**
     * Decodes a stored event and checks that it is of the expected type.
     *
     * @param <E> the expected type
     * @param event the stored event
     * @param expectedType the class (or a supertype, e.g. a sealed interface) the domain event must
     *     be an instance of
     * @return the domain event; never null
     * @throws NullPointerException if an argument is null
     * @throws EventDecodingException for any reason {@link #deserialize(RecordedEvent)} gives, or if
     *     the decoded event is not an instance of {@code expectedType}
     */
    default <E> E deserialize(RecordedEvent event, Class<E> expectedType) {
        Objects.requireNonNull(event, "event must not be null");
        Objects.requireNonNull(expectedType, "expectedType must not be null");
        Object decoded = deserialize(event);
        if (!expectedType.isInstance(decoded)) {
            throw new EventDecodingException(event.streamId(), event.streamVersion(), event.type(),
                    "decoded as " + decoded.getClass().getName() + ", which is not a " + expectedType.getName(),
                    null);
        }
        return expectedType.cast(decoded);
    }

    /**
     * Returns the type name events of a class are stored under.
     *
     * @param eventClass the event class
     * @return its type name
     * @throws NullPointerException if {@code eventClass} is null
     * @throws IllegalArgumentException if the class is not registered
     */
    String typeOf(Class<?> eventClass);
}
