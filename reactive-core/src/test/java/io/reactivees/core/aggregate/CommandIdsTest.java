package io.reactivees.core.aggregate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.StreamId;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The derivation of a command's event ids is a persisted contract: these values were computed
 * independently (Python's {@code uuid.uuid5} over the documented name encoding) and must never
 * change.
 */
class CommandIdsTest {

    @Test
    void knownValuesNeverChange() {
        assertEquals(UUID.fromString("aef19445-829f-4bf8-90b6-6e2499982cd0"), CommandIds.NAMESPACE);
        assertEquals(UUID.fromString("cd6e1d47-e184-55ea-9c93-2aad8bbcac05"), CommandIds.eventId("cmd-1", StreamId.of("account", "1"), 0));
        assertEquals(UUID.fromString("c50ba1cd-0980-5c8c-b778-feaff8a20aa0"), CommandIds.eventId("cmd-1", StreamId.of("account", "1"), 1));
        assertEquals(UUID.fromString("5711c4f6-bf00-55bd-b1b8-bfd69fb51bb1"), CommandIds.eventId("cmd-1", StreamId.of("account", "2"), 0));
        assertEquals(UUID.fromString("d45e0eeb-aaf9-598c-907b-ff2046652feb"),
                CommandIds.eventId("Idempotency-Key \u00e4\u20ac\ud83d\ude00", StreamId.of("order", "x-y"), 7));
        assertEquals(UUID.fromString("f9987bb0-61d7-5722-9913-25d54c98c814"), CommandIds.eventId("a", StreamId.of("b", "c"), 0));
    }

    @Test
    void theIdsAreNameBasedVersionFiveOfTheIetfVariant() {
        UUID id = CommandIds.eventId("cmd", StreamId.of("account", "1"), 3);
        assertEquals(5, id.version());
        assertEquals(2, id.variant());
    }

    @Test
    void partsThatWouldRunTogetherInAPlainConcatenationGiveDifferentIds() {
        Set<UUID> ids = new HashSet<>();
        ids.add(CommandIds.eventId("ab", StreamId.of("c", "d"), 0));
        ids.add(CommandIds.eventId("a", StreamId.of("bc", "d"), 0));
        ids.add(CommandIds.eventId("a", StreamId.of("b", "c-d"), 0));
        ids.add(CommandIds.eventId("a-b", StreamId.of("c", "d"), 0));
        ids.add(CommandIds.eventId("1", StreamId.of("c", "d"), 10));
        ids.add(CommandIds.eventId("11", StreamId.of("c", "d"), 0));
        assertEquals(6, ids.size());
        assertNotEquals(CommandIds.eventId("x", StreamId.of("c", "d"), 0), CommandIds.eventId("x", StreamId.of("c", "d"), 1));
    }

    @Test
    void badArgumentsAreRejected() {
        StreamId stream = StreamId.of("account", "1");
        assertThrows(NullPointerException.class, () -> CommandIds.eventId(null, stream, 0));
        assertThrows(NullPointerException.class, () -> CommandIds.eventId("x", null, 0));
        assertThrows(IllegalArgumentException.class, () -> CommandIds.eventId(" ", stream, 0));
        assertThrows(IllegalArgumentException.class, () -> CommandIds.eventId("x", stream, -1));
    }
}
