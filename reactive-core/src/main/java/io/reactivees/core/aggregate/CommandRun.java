package io.reactivees.core.aggregate;

import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One call of a command, as the repositories write it: the metadata of its events, and, when the
 * command carries a command id, its derived event ids and its fingerprint. Shared by
 * {@link AggregateRepository} and {@link MultiAggregateRepository}.
 *
 * <p>The fingerprint goes into the metadata of the command's first event in each stream it writes,
 * under {@code commandFingerprint}: {@code {"type": ..., "input": ..., "streams": [...]}} with the
 * command's streams as text, sorted. That shape is stored, so it is a persisted contract as the ids
 * are.
 */
final class CommandRun {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final String commandId; // null: not idempotent
    private final byte[] metadata;
    private final byte[] firstMetadata;
    private final JsonNode fingerprint;
    private final Set<UUID> derived = ConcurrentHashMap.newKeySet();

    private CommandRun(String commandId, byte[] metadata, byte[] firstMetadata, JsonNode fingerprint) {
        this.commandId = commandId;
        this.metadata = metadata;
        this.firstMetadata = firstMetadata;
        this.fingerprint = fingerprint;
    }

    /**
     * The run of a command over {@code streams}, with the metadata of {@code context}.
     *
     * @throws IllegalArgumentException if the metadata has a command id and the command no fingerprint
     */
    static CommandRun of(CommandMetadata context, Optional<CommandFingerprint> fingerprint, List<StreamId> streams) {
        Map<String, String> entries = context.asMap();
        byte[] metadata = JSON.writeValueAsBytes(entries);
        String commandId = context.commandId();
        if (commandId == null) {
            return new CommandRun(null, metadata, metadata, null);
        }
        CommandFingerprint given = fingerprint.orElseThrow(() -> new IllegalArgumentException(
                "command id " + commandId + " is given, but the command has no fingerprint: give it one with withFingerprint(type, inputHash)"));
        Map<String, Object> parts = new LinkedHashMap<>();
        parts.put("type", given.commandType());
        parts.put("input", given.inputHash());
        parts.put("streams", streams.stream().map(StreamId::toString).sorted().toList());
        Map<String, Object> first = new LinkedHashMap<>(entries);
        first.put(CommandMetadata.FINGERPRINT_KEY, parts);
        return new CommandRun(commandId, metadata, JSON.writeValueAsBytes(first), JSON.valueToTree(parts));
    }

    /** Whether the command carries a command id. */
    boolean idempotent() {
        return commandId != null;
    }

    /** The id of the {@code index}-th event in {@code stream}: derived for an idempotent command, random otherwise. */
    UUID eventId(StreamId stream, int index) {
        if (commandId == null) {
            return UUID.randomUUID();
        }
        UUID id = CommandIds.eventId(commandId, stream, index);
        derived.add(id);
        return id;
    }

    /** The metadata of the {@code index}-th event in a stream: the first carries the fingerprint. */
    byte[] metadata(int index) {
        return index == 0 ? firstMetadata : metadata;
    }

    /** Whether {@code error} says that one of this command's own derived ids is stored elsewhere. */
    boolean isOwnDuplicate(Throwable error) {
        return commandId != null && error instanceof DuplicateEventException duplicate && derived.contains(duplicate.eventId());
    }

    /**
     * Checks that the event stored under this command's first derived id in a stream was written by
     * this same command.
     *
     * @throws CommandIdReusedException if its fingerprint or command id differs, or it has none
     */
    void requireSameCommand(RecordedEvent first) {
        JsonNode stored = null;
        String storedId = null;
        try {
            JsonNode metadata = JSON.readTree(first.metadata());
            stored = metadata.get(CommandMetadata.FINGERPRINT_KEY);
            JsonNode id = metadata.get("commandId");
            storedId = id == null || !id.isString() ? null : id.asString();
        } catch (JacksonException e) {
            // not our metadata: a mismatch, reported below
        }
        boolean ownStream = stored != null && stored.get("streams") != null
                && stored.get("streams").valueStream().anyMatch(stream -> stream.asString().equals(first.streamId().toString()));
        if (stored == null || !stored.equals(fingerprint) || !commandId.equals(storedId) || !ownStream) {
            throw new CommandIdReusedException(commandId, stored == null ? "(no fingerprint)" : stored.toString(), fingerprint.toString());
        }
    }
}
