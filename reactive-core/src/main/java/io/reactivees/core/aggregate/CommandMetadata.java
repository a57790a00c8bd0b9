package io.reactivees.core.aggregate;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import reactor.util.context.Context;
import reactor.util.context.ContextView;

/**
 * Who and what caused a command, attached to every event the command appends (as the event's
 * metadata) and never seen by {@code evolve}. Put it in the Reactor {@link Context} once, e.g. in a
 * WebFlux filter, and every command run downstream picks it up:
 *
 * <pre>{@code
 * repository.update(id, command).contextWrite(CommandMetadata.correlatedBy(requestId).withUser("alice").into());
 * }</pre>
 *
 * @param correlationId the id shared by everything one request caused, or null
 * @param causationId the id of the message or event that caused this command, or null
 * @param user who issued the command, or null
 * @param custom further string entries; copied
 */
public record CommandMetadata(String correlationId, String causationId, String user, Map<String, String> custom) {

    /** The Reactor context key under which the metadata travels. */
    public static final Class<CommandMetadata> CONTEXT_KEY = CommandMetadata.class;

    private static final CommandMetadata EMPTY = new CommandMetadata(null, null, null, Map.of());

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if {@code custom} or one of its keys or values is null
     * @throws IllegalArgumentException if a custom key collides with a standard one
     */
    public CommandMetadata {
        custom = Map.copyOf(Objects.requireNonNull(custom, "custom must not be null"));
        for (String key : custom.keySet()) {
            if (key.equals("correlationId") || key.equals("causationId") || key.equals("user")) {
                throw new IllegalArgumentException("custom metadata must not use the standard key " + key);
            }
        }
    }

    /** @return metadata with nothing in it */
    public static CommandMetadata empty() {
        return EMPTY;
    }

    /**
     * @param correlationId the correlation id
     * @return metadata with only a correlation id
     * @throws NullPointerException if {@code correlationId} is null
     */
    public static CommandMetadata correlatedBy(String correlationId) {
        return EMPTY.withCorrelationId(correlationId);
    }

    /**
     * Reads the metadata from a Reactor context.
     *
     * @param context the context
     * @return the metadata put there, or {@link #empty()}
     */
    public static CommandMetadata from(ContextView context) {
        return context.getOrDefault(CONTEXT_KEY, EMPTY);
    }

    /**
     * @param id the correlation id
     * @return a copy with that correlation id
     * @throws NullPointerException if {@code id} is null
     */
    public CommandMetadata withCorrelationId(String id) {
        return new CommandMetadata(Objects.requireNonNull(id, "correlationId must not be null"), causationId, user, custom);
    }

    /**
     * @param id the causation id
     * @return a copy with that causation id
     * @throws NullPointerException if {@code id} is null
     */
    public CommandMetadata withCausationId(String id) {
        return new CommandMetadata(correlationId, Objects.requireNonNull(id, "causationId must not be null"), user, custom);
    }

    /**
     * @param name the user
     * @return a copy with that user
     * @throws NullPointerException if {@code name} is null
     */
    public CommandMetadata withUser(String name) {
        return new CommandMetadata(correlationId, causationId, Objects.requireNonNull(name, "user must not be null"), custom);
    }

    /**
     * @param key a custom key
     * @param value its value
     * @return a copy with that entry added or replaced
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if {@code key} is a standard key
     */
    public CommandMetadata with(String key, String value) {
        Map<String, String> entries = new LinkedHashMap<>(custom);
        entries.put(Objects.requireNonNull(key, "key must not be null"), Objects.requireNonNull(value, "value must not be null"));
        return new CommandMetadata(correlationId, causationId, user, entries);
    }

    /** @return a function for {@code contextWrite} that puts this metadata in the context */
    public java.util.function.Function<Context, Context> into() {
        return context -> context.put(CONTEXT_KEY, this);
    }

    /** @return every entry as one flat map, standard keys first; what is stored as event metadata */
    public Map<String, String> asMap() {
        Map<String, String> map = new LinkedHashMap<>();
        if (correlationId != null) {
            map.put("correlationId", correlationId);
        }
        if (causationId != null) {
            map.put("causationId", causationId);
        }
        if (user != null) {
            map.put("user", user);
        }
        map.putAll(custom);
        return map;
    }
}
