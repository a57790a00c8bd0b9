package io.reactivees.core.serialization;

import io.reactivees.core.EventData;
import io.reactivees.core.EventDecodingException;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.internal.Payloads;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.util.ByteBufferBackedInputStream;

/**
 * The default {@link EventSerializer}: events are written and read as JSON by a Jackson
 * {@link JsonMapper}, named by an {@link EventTypeRegistry}, and old stored types are rewritten by
 * {@link Upcaster}s before decoding.
 *
 * <p>The mapper is injected so the application decides its configuration (unknown properties,
 * naming, modules); the serializer changes none of it. Events whose stored type has no upcaster are
 * read straight from the bytes into their class; only events that need upcasting are parsed into a
 * tree first. Thread-safe: the mapper, registry and upcasters are all immutable.
 */
public final class JacksonEventSerializer implements EventSerializer {

    /**
     * Payloads from this size on are read through the event's read-only view, with no copy; smaller
     * ones (most events) from a copy, since Jackson parses an array faster than it sets up a stream
     * and a copy that small costs less than the difference (145 bytes: 780 ns from a copy, 860 ns
     * through the view; 4 KB and 43 KB: the same either way, and the view allocates nothing the
     * payload's size). Never the event's own array: one event may go to many subscribers.
     */
    private static final int COPY_BELOW = 1024;

    private final JsonMapper mapper;
    private final EventTypeRegistry registry;
    private final UpcasterChain upcasters;

    /**
     * Creates a serializer with upcasters.
     *
     * @param mapper reads and writes the JSON
     * @param registry names the event classes
     * @param upcasters rewrite old stored types; at most one per source type, and no cycles
     * @throws NullPointerException if an argument or an upcaster is null
     * @throws IllegalArgumentException if two upcasters have the same source type, the upcasters
     *     form a cycle, or an upcaster's source type is also registered for a class (that class could
     *     never be decoded)
     */
    public JacksonEventSerializer(JsonMapper mapper, EventTypeRegistry registry, List<Upcaster> upcasters) {
        this.mapper = Objects.requireNonNull(mapper, "mapper must not be null");
        this.registry = Objects.requireNonNull(registry, "registry must not be null");
        this.upcasters = UpcasterChain.of(upcasters);
        for (Upcaster upcaster : upcasters) {
            registry.classOf(upcaster.sourceType()).ifPresent(shadowed -> {
                throw new IllegalArgumentException("upcaster " + upcaster + " rewrites type '"
                        + upcaster.sourceType() + "', which is registered for " + shadowed.getName()
                        + "; events of that type would never be decoded as it");
            });
        }
    }

    /**
     * Creates a serializer without upcasters.
     *
     * @param mapper reads and writes the JSON
     * @param registry names the event classes
     * @throws NullPointerException if an argument is null
     */
    public JacksonEventSerializer(JsonMapper mapper, EventTypeRegistry registry) {
        this(mapper, registry, List.of());
    }

    /**
     * Returns a serializer with a {@link JsonMapper} of Jackson's defaults, which already handle
     * records and {@code java.time} values (written as ISO-8601 text). For anything else, build the
     * mapper yourself and use a constructor.
     *
     * @param registry names the event classes
     * @param upcasters rewrite old stored types
     * @return the serializer
     * @throws NullPointerException if an argument or an upcaster is null
     * @throws IllegalArgumentException for any reason
     *     {@link #JacksonEventSerializer(JsonMapper, EventTypeRegistry, List)} gives
     */
    public static JacksonEventSerializer withDefaultMapper(EventTypeRegistry registry, Upcaster... upcasters) {
        Objects.requireNonNull(upcasters, "upcasters must not be null");
        return new JacksonEventSerializer(JsonMapper.builder().build(), registry, Arrays.asList(upcasters));
    }

    /**
     * {@inheritDoc}
     *
     * @throws IllegalArgumentException if the event's class is not registered (the message names
     *     it), Jackson cannot write the event (the cause is Jackson's exception), or {@code metadata}
     *     is not one JSON object
     */
    @Override
    public EventData serialize(Object event, UUID eventId, byte[] metadata) {
        Objects.requireNonNull(event, "event must not be null");
        Objects.requireNonNull(eventId, "eventId must not be null");
        Objects.requireNonNull(metadata, "metadata must not be null");
        String type = registry.nameOf(event.getClass());
        byte[] data;
        try {
            data = mapper.writeValueAsBytes(event);
        } catch (JacksonException e) {
            throw new IllegalArgumentException("cannot write event of class " + event.getClass().getName()
                    + " (type '" + type + "') as JSON: " + e.getOriginalMessage(), e);
        }
        return Payloads.eventData(eventId, type, data, metadata); // the mapper's fresh bytes, not copied again
    }

    /** {@inheritDoc} */
    @Override
    public Object deserialize(RecordedEvent event) {
        Objects.requireNonNull(event, "event must not be null");
        Upcaster first = upcasters.find(event.type());
        return first == null ? readDirectly(event) : readUpcast(event, first);
    }

    /** {@inheritDoc} */
    @Override
    public String typeOf(Class<?> eventClass) {
        return registry.nameOf(eventClass);
    }

    /** Returns the registry and upcasters, for diagnostics. */
    @Override
    public String toString() {
        return "JacksonEventSerializer[registry=" + registry + ", upcasters=" + upcasters + "]";
    }

    // The common case: no tree, Jackson binds the bytes straight to the class.
    private Object readDirectly(RecordedEvent event) {
        Class<?> eventClass = registry.classOf(event.type()).orElseThrow(() -> failure(event,
                "no event class is registered for type '" + event.type() + "' and no upcaster rewrites it", null));
        Object decoded;
        try {
            decoded = readPayload(event, eventClass);
        } catch (JacksonException e) {
            throw failure(event, "payload does not decode as " + eventClass.getName() + ": " + e.getOriginalMessage(), e);
        }
        // Jackson maps a JSON null root to a null result; an event must never be null.
        if (decoded == null) {
            throw failure(event, "payload is JSON null, not a " + eventClass.getName(), null);
        }
        return decoded;
    }

    private Object readUpcast(RecordedEvent event, Upcaster first) {
        JsonNode payload;
        try {
            payload = readPayloadTree(event);
        } catch (JacksonException e) {
            throw failure(event, "payload is not valid JSON: " + e.getOriginalMessage(), e);
        }
        requireValue(event, payload, "payload");
        String type = event.type();
        for (Upcaster upcaster = first; upcaster != null; upcaster = upcasters.find(type)) {
            try {
                payload = upcaster.upcast(payload);
            } catch (RuntimeException e) {
                throw failure(event, upcaster + " failed: " + e, e);
            }
            requireValue(event, payload, upcaster + " result");
            type = upcaster.targetType();
        }
        String upcastType = type;
        Class<?> eventClass = registry.classOf(upcastType).orElseThrow(() -> failure(event,
                "no event class is registered for type '" + upcastType + "' (upcast "
                        + upcasters.path(event.type()) + ")", null));
        Object decoded;
        try {
            decoded = mapper.treeToValue(payload, eventClass);
        } catch (JacksonException e) {
            throw failure(event, "upcast payload (" + upcasters.path(event.type()) + ") does not decode as "
                    + eventClass.getName() + ": " + e.getOriginalMessage(), e);
        }
        if (decoded == null) {
            throw failure(event, "upcast payload decodes to null, not a " + eventClass.getName(), null);
        }
        return decoded;
    }

    private Object readPayload(RecordedEvent event, Class<?> eventClass) {
        ByteBuffer view = event.dataBuffer();
        return view.remaining() < COPY_BELOW
                ? mapper.readValue(event.data(), eventClass)
                : mapper.readValue(new ByteBufferBackedInputStream(view), eventClass);
    }

    private JsonNode readPayloadTree(RecordedEvent event) {
        ByteBuffer view = event.dataBuffer();
        return view.remaining() < COPY_BELOW
                ? mapper.readTree(event.data())
                : mapper.readTree(new ByteBufferBackedInputStream(view));
    }

    // readTree gives a missing node for empty input and a null node for JSON null; neither is an event.
    private static void requireValue(RecordedEvent event, JsonNode node, String what) {
        if (node.isMissingNode()) {
            throw failure(event, what + " is empty", null);
        }
        if (node.isNull()) {
            throw failure(event, what + " is JSON null", null);
        }
    }

    private static EventDecodingException failure(RecordedEvent event, String reason, Throwable cause) {
        return new EventDecodingException(event.streamId(), event.streamVersion(), event.type(), reason, cause);
    }
}
