package io.reactivees.core.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.EventData;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The hand-over is observable only by breaking its rule (changing an array after handing it
 * over), which is what these tests do to prove that nothing was copied, and that everything else
 * still is.
 */
class PayloadsTest {

    private static final UUID ID = UUID.fromString("0b0e7e8a-4a8e-4f43-8a0e-6a9f3c1f0d11");
    private static final StreamId STREAM = StreamId.of("account", "1");
    private static final Position POSITION = Position.of(7, 3);
    private static final Instant AT = Instant.parse("2024-05-01T10:15:30Z");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRecordedEventKeepsTheArraysHandedOver() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");

        RecordedEvent event = Payloads.recordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);
        data[1] = '2';
        metadata[0] = '[';

        assertEquals("[2]", event.dataAsString(), "not copied");
        assertEquals("[}", event.metadataAsString(), "not copied");
        assertEquals(new RecordedEvent(ID, STREAM, 1, POSITION, "t", utf8("[2]"), utf8("[}"), AT), event);
    }

    @Test
    void theAccessorsStillCopy() {
        RecordedEvent event = Payloads.recordedEvent(ID, STREAM, 1, POSITION, "t", utf8("[1]"), utf8("{}"), AT);

        byte[] out = event.data();
        out[1] = '9';
        event.metadata()[0] = '[';

        assertNotSame(event.data(), event.data());
        assertArrayEquals(utf8("[1]"), event.data());
        assertArrayEquals(utf8("{}"), event.metadata());
    }

    @Test
    void theHandOverIsConsumedByOneConstruction() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");
        Payloads.recordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);

        RecordedEvent copied = new RecordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);
        data[1] = '2';

        assertEquals("[1]", copied.dataAsString(), "the public constructor copies the same arrays");
    }

    @Test
    void aRejectedEventLeavesNoHandOverBehind() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");

        assertThrows(IllegalArgumentException.class, () -> Payloads.recordedEvent(ID, STREAM, 0, POSITION, "t", data, metadata, AT));
        assertThrows(IllegalArgumentException.class, () -> Payloads.recordedEvent(ID, STREAM, 1, POSITION, " ", data, metadata, AT));
        assertThrows(NullPointerException.class, () -> Payloads.recordedEvent(ID, STREAM, 1, POSITION, "t", data, null, AT));

        RecordedEvent copied = new RecordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);
        data[1] = '2';
        assertEquals("[1]", copied.dataAsString());
    }

    @Test
    void eventDataKeepsTheHandedOverPayloadAndCopiesTheMetadata() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");

        EventData event = Payloads.eventData(ID, "t", data, metadata);
        data[1] = '2';
        metadata[0] = '[';

        assertEquals("[2]", event.dataAsString(), "the payload is not copied");
        assertEquals("{}", event.metadataAsString(), "the metadata, which the caller may keep, is");
    }

    @Test
    void eventDataHandedOverIsValidatedAlike() {
        assertThrows(IllegalArgumentException.class, () -> Payloads.eventData(ID, "t", utf8("{"), utf8("{}")));
        assertThrows(IllegalArgumentException.class, () -> Payloads.eventData(ID, "t", utf8("1"), utf8("[]")));
        assertThrows(IllegalArgumentException.class, () -> Payloads.eventData(ID, " ", utf8("1"), utf8("{}")));
        assertThrows(NullPointerException.class, () -> Payloads.eventData(ID, "t", null, utf8("{}")));

        byte[] data = utf8("[1]");
        assertThrows(IllegalArgumentException.class, () -> Payloads.eventData(ID, " ", data, utf8("{}")));
        EventData copied = new EventData(ID, "t", data, utf8("{}"));
        data[1] = '2';
        assertEquals("[1]", copied.dataAsString(), "a failed hand-over leaves nothing for the next construction");
    }
}
