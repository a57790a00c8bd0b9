package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class RecordedEventTest {

    private static final UUID ID = UUID.fromString("0b0e7e8a-4a8e-4f43-8a0e-6a9f3c1f0d11");
    private static final StreamId STREAM = StreamId.of("account", "1");
    private static final Position POSITION = Position.of(7, 3);
    private static final Instant AT = Instant.parse("2024-05-01T10:15:30Z");

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static RecordedEvent event(long version, String data) {
        return new RecordedEvent(ID, STREAM, version, POSITION, "account.deposited", utf8(data), utf8("{}"), AT);
    }

    @Test
    void equalContentsMeanEqualEvents() {
        RecordedEvent a = event(2, "{\"amount\":10}");
        RecordedEvent b = event(2, "{\"amount\":10}");

        assertEquals(a, b);
        assertEquals(a.hashCode(), b.hashCode());
        assertEquals(ID, a.eventId());
        assertEquals(STREAM, a.streamId());
        assertEquals(2, a.streamVersion());
        assertEquals(POSITION, a.position());
        assertEquals("account.deposited", a.type());
        assertEquals(AT, a.recordedAt());
    }

    @Test
    void anyDifferingPartMeansUnequalEvents() {
        RecordedEvent a = event(2, "1");
        byte[] d = utf8("1");
        byte[] m = utf8("{}");
        String t = "account.deposited";

        assertNotEquals(a, event(3, "1"));
        assertNotEquals(a, event(2, "2"));
        assertNotEquals(a, new RecordedEvent(UUID.randomUUID(), STREAM, 2, POSITION, t, d, m, AT));
        assertNotEquals(a, new RecordedEvent(ID, StreamId.of("account", "2"), 2, POSITION, t, d, m, AT));
        assertNotEquals(a, new RecordedEvent(ID, STREAM, 2, Position.of(7, 4), t, d, m, AT));
        assertNotEquals(a, new RecordedEvent(ID, STREAM, 2, POSITION, "other", d, m, AT));
        assertNotEquals(a, new RecordedEvent(ID, STREAM, 2, POSITION, t, d, utf8("{\"m\":1}"), AT));
        assertNotEquals(a, new RecordedEvent(ID, STREAM, 2, POSITION, t, d, m, AT.plusMillis(1)));
    }

    @Test
    void bytesAreCopiedInAndOut() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");
        RecordedEvent event = new RecordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);

        data[1] = '2';
        metadata[0] = '[';
        assertEquals("[1]", event.dataAsString());
        assertEquals("{}", event.metadataAsString());

        byte[] out = event.data();
        assertNotSame(out, event.data());
        out[1] = '9';
        event.metadata()[0] = '[';
        assertArrayEquals(utf8("[1]"), event.data());
        assertArrayEquals(utf8("{}"), event.metadata());
    }

    @Test
    void viewsShowTheBytesAndCannotChangeThem() {
        RecordedEvent event = new RecordedEvent(ID, STREAM, 1, POSITION, "t", utf8("[1,2]"), utf8("{\"k\":1}"), AT);

        ByteBuffer data = event.dataBuffer();
        ByteBuffer metadata = event.metadataBuffer();

        assertTrue(data.isReadOnly());
        assertTrue(metadata.isReadOnly());
        assertFalse(data.hasArray(), "no way to the array behind the view");
        assertFalse(metadata.hasArray());
        assertThrows(ReadOnlyBufferException.class, data::array);
        assertThrows(ReadOnlyBufferException.class, () -> data.put(0, (byte) '9'));
        assertThrows(ReadOnlyBufferException.class, () -> metadata.put((byte) '['));
        assertEquals(0, data.position());
        assertEquals(5, data.remaining());
        assertArrayEquals(utf8("[1,2]"), bytesOf(data));
        assertArrayEquals(utf8("{\"k\":1}"), bytesOf(metadata));
        assertArrayEquals(utf8("[1,2]"), event.data(), "reading a view leaves the event as it was");
    }

    @Test
    void eachViewIsItsOwn() {
        RecordedEvent event = event(1, "[1,2]");

        ByteBuffer first = event.dataBuffer();
        first.get();
        first.limit(2);
        ByteBuffer second = event.dataBuffer();

        assertEquals(0, second.position(), "moving one view moves no other");
        assertEquals(5, second.limit());
        assertArrayEquals(utf8("[1,2]"), bytesOf(second));
    }

    @Test
    void viewsDoNotSeeTheArraysGivenToTheConstructor() {
        byte[] data = utf8("[1]");
        byte[] metadata = utf8("{}");
        RecordedEvent event = new RecordedEvent(ID, STREAM, 1, POSITION, "t", data, metadata, AT);
        ByteBuffer view = event.dataBuffer();

        data[1] = '2';
        metadata[0] = '[';
        event.data()[1] = '3';

        assertArrayEquals(utf8("[1]"), bytesOf(view));
        assertArrayEquals(utf8("{}"), bytesOf(event.metadataBuffer()));
    }

    private static byte[] bytesOf(ByteBuffer view) {
        byte[] bytes = new byte[view.remaining()];
        view.get(bytes);
        return bytes;
    }

    @Test
    void streamVersionBelowOneIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> event(0, "1"));
        assertThrows(IllegalArgumentException.class, () -> event(-1, "1"));
        assertEquals(1, event(1, "1").streamVersion());
    }

    @Test
    void nullOrBlankPartsAreRejected() {
        byte[] d = utf8("1");
        byte[] m = utf8("{}");
        assertThrows(NullPointerException.class, () -> new RecordedEvent(null, STREAM, 1, POSITION, "t", d, m, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, null, 1, POSITION, "t", d, m, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, STREAM, 1, null, "t", d, m, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, STREAM, 1, POSITION, null, d, m, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, STREAM, 1, POSITION, "t", null, m, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, STREAM, 1, POSITION, "t", d, null, AT));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(ID, STREAM, 1, POSITION, "t", d, m, null));
        assertThrows(IllegalArgumentException.class, () -> new RecordedEvent(ID, STREAM, 1, POSITION, " ", d, m, AT));
    }

    @Test
    void toStringShowsWhereButNotThePayload() {
        RecordedEvent event = new RecordedEvent(ID, STREAM, 4, POSITION, "account.deposited",
                utf8("{\"secret\":\"hunter2\"}"), utf8("{\"token\":\"abc\"}"), AT);

        String text = event.toString();

        assertTrue(text.contains("account-1@4"), text);
        assertTrue(text.contains("7:3"), text);
        assertTrue(text.contains("account.deposited"), text);
        assertTrue(text.contains(ID.toString()), text);
        assertTrue(text.contains("20 bytes"), text);
        assertFalse(text.contains("hunter2"), text);
        assertFalse(text.contains("secret"), text);
        assertFalse(text.contains("token"), text);
    }
}
