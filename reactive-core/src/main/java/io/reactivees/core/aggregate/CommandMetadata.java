package io.reactivees.core.aggregate;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;
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
 * <p><b>Command ids.</b> A command that carries a command id ({@link #withCommandId}, e.g. from an
 * HTTP {@code Idempotency-Key}) is idempotent: its event ids are derived from the id
 * ({@link CommandIds}), and a repository that finds them stored answers the first run's result
 * instead of deciding again. One command id names one command: a context that runs several commands
 * needs an id per command (derive them, e.g. {@code key + ":open"}).
 *
 * @param correlationId the id shared by everything one request caused, or null
 * @param causationId the id of the message or event that caused this command, or null
 * @param user who issued the command, or null
 * @param custom further string entries; copied
 * @param commandId the command's own id, which makes it idempotent, or null
 */
public record CommandMetadata(@Nullable String correlationId, @Nullable String causationId, @Nullable String user,
                              Map<String, String> custom, @Nullable String commandId) {

    /** The Reactor context key under which the metadata travels. */
    public static final Class<CommandMetadata> CONTEXT_KEY = CommandMetadata.class;

    /** The longest command id accepted, in characters. */
    public static final int MAX_COMMAND_ID_LENGTH = 200;

    /** The metadata key of the fingerprint on a command's first event in each stream; reserved. */
    static final String FINGERPRINT_KEY = "commandFingerprint";

    private static final Set<String> STANDARD_KEYS = Set.of("correlationId", "causationId", "user", "commandId", FINGERPRINT_KEY);

    private static final CommandMetadata EMPTY = new CommandMetadata(null, null, null, Map.of(), null);

    /**
     * Validates and copies the parts.
     *
     * @throws NullPointerException if {@code custom} or one of its keys or values is null
     * @throws IllegalArgumentException if a custom key collides with a standard one ({@code correlationId},
     *     {@code causationId}, {@code user}, {@code commandId}, {@code commandFingerprint}), or the command
     *     id is blank, longer than {@link #MAX_COMMAND_ID_LENGTH} or holds a control character or an
     *     unpaired surrogate
     */
    public CommandMetadata {
        custom = Map.copyOf(Objects.requireNonNull(custom, "custom must not be null"));
        for (String key : custom.keySet()) {
            if (STANDARD_KEYS.contains(key)) {
                throw new IllegalArgumentException("custom metadata must not use the standard key " + key);
            }
        }
        if (commandId != null) {
            if (commandId.isBlank()) {
                throw new IllegalArgumentException("commandId must not be blank");
            }
            requireText(commandId, "commandId", MAX_COMMAND_ID_LENGTH);
        }
    }

    /**
     * Metadata without a command id.
     *
     * @throws NullPointerException if {@code custom} or one of its keys or values is null
     * @throws IllegalArgumentException if a custom key collides with a standard one
     */
    public CommandMetadata(@Nullable String correlationId, @Nullable String causationId, @Nullable String user,
                           Map<String, String> custom) {
        this(correlationId, causationId, user, custom, null);
    }

    /** Checks text that goes into stored metadata and into derived ids. */
    static String requireText(String value, String what, int maxLength) {
        if (value.length() > maxLength) {
            throw new IllegalArgumentException(what + " must be at most " + maxLength + " characters, but has " + value.length());
        }
        for (int i = 0; i < value.length(); i++) {
            if (Character.isISOControl(value.charAt(i))) {
                throw new IllegalArgumentException(what + " must not contain control characters (at index " + i + ")");
            }
        }
        if (!StandardCharsets.UTF_8.newEncoder().canEncode(value)) {
            throw new IllegalArgumentException(what + " must be valid Unicode, but has an unpaired surrogate");
        }
        return value;
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
     * @param commandId the command id
     * @return metadata with only a command id
     * @throws NullPointerException if {@code commandId} is null
     * @throws IllegalArgumentException if {@code commandId} is invalid (see the constructor)
     */
    public static CommandMetadata identifiedBy(String commandId) {
        return EMPTY.withCommandId(commandId);
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
        return new CommandMetadata(Objects.requireNonNull(id, "correlationId must not be null"), causationId, user, custom, commandId);
    }

    /**
     * @param id the causation id
     * @return a copy with that causation id
     * @throws NullPointerException if {@code id} is null
     */
    public CommandMetadata withCausationId(String id) {
        return new CommandMetadata(correlationId, Objects.requireNonNull(id, "causationId must not be null"), user, custom, commandId);
    }

    /**
     * @param name the user
     * @return a copy with that user
     * @throws NullPointerException if {@code name} is null
     */
    public CommandMetadata withUser(String name) {
        return new CommandMetadata(correlationId, causationId, Objects.requireNonNull(name, "user must not be null"), custom, commandId);
    }

    /**
     * @param id the command id
     * @return a copy with that command id
     * @throws NullPointerException if {@code id} is null
     * @throws IllegalArgumentException if {@code id} is blank, longer than {@link #MAX_COMMAND_ID_LENGTH}
     *     or holds a control character or an unpaired surrogate
     */
    public CommandMetadata withCommandId(String id) {
        return new CommandMetadata(correlationId, causationId, user, custom, Objects.requireNonNull(id, "commandId must not be null"));
    }

    /** @return a copy without a command id */
    public CommandMetadata withoutCommandId() {
        return new CommandMetadata(correlationId, causationId, user, custom, null);
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
        return new CommandMetadata(correlationId, causationId, user, entries, commandId);
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
        if (commandId != null) {
            map.put("commandId", commandId);
        }
        map.putAll(custom);
        return map;
    }
}
