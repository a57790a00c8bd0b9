package io.reactivees.spring.observation;

import io.reactivees.core.EventData;
import io.reactivees.core.RecordedEvent;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Trace context in event metadata: the propagation fields a tracer writes (W3C {@code traceparent}
 * and {@code tracestate}, or B3's {@code b3}, as the application's propagator chooses) as
 * top-level string members of each event's metadata object, beside {@code correlationId} and the
 * others. A member the metadata has already is kept as it is: an event that carries its own trace
 * context (copied from another store, say) keeps it. Metadata that is not a JSON object is left
 * alone.
 */
final class TraceMetadata {

    private static final JsonMapper MAPPER = JsonMapper.builder().build();

    private TraceMetadata() {}

    /**
     * @param events the events of an append
     * @param fields the propagation fields; none leaves the events as they are
     * @return the events, with the fields in their metadata
     */
    static List<EventData> withTrace(List<EventData> events, Map<String, String> fields) {
        if (fields.isEmpty()) {
            return events;
        }
        List<EventData> traced = new ArrayList<>(events.size());
        for (EventData event : events) {
            traced.add(withTrace(event, fields));
        }
        return traced;
    }

    private static EventData withTrace(EventData event, Map<String, String> fields) {
        JsonNode metadata = MAPPER.readTree(event.metadata());
        if (!(metadata instanceof ObjectNode object)) {
            return event;
        }
        boolean changed = false;
        for (Map.Entry<String, String> field : fields.entrySet()) {
            if (!object.has(field.getKey())) {
                object.put(field.getKey(), field.getValue());
                changed = true;
            }
        }
        return changed ? event.withMetadata(MAPPER.writeValueAsBytes(object)) : event;
    }

    /**
     * @param event a stored event
     * @return the string members of its metadata, where a propagator looks for trace context; empty
     *     when the metadata is not a JSON object (or cannot be read)
     */
    static Map<String, String> fieldsOf(RecordedEvent event) {
        Map<String, String> fields = new LinkedHashMap<>();
        try {
            if (MAPPER.readTree(event.metadata()) instanceof ObjectNode object) {
                for (Map.Entry<String, JsonNode> member : object.properties()) {
                    if (member.getValue().isString()) {
                        fields.put(member.getKey(), member.getValue().asString());
                    }
                }
            }
        } catch (JacksonException e) {
            // stored metadata is JSON; if not, there is simply no context to continue
        }
        return fields;
    }
}
