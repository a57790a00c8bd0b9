package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class StreamAppendTest {

    private static final StreamId STREAM = StreamId.of("account", "1");

    @Test
    void checkWritesNothing() {
        StreamAppend check = StreamAppend.check(STREAM, ExpectedVersion.exact(3));

        assertTrue(check.isCheckOnly());
        assertEquals(List.of(), check.events());
        assertEquals(STREAM, check.streamId());
        assertEquals(ExpectedVersion.exact(3), check.expected());
        assertTrue(StreamAppend.of(STREAM, ExpectedVersion.any(), List.of()).isCheckOnly());
    }

    @Test
    void entryWithEventsIsNotCheckOnly() {
        EventData event = EventData.of("t", "1");

        StreamAppend append = StreamAppend.of(STREAM, ExpectedVersion.noStream(), List.of(event));

        assertFalse(append.isCheckOnly());
        assertEquals(List.of(event), append.events());
    }

    @Test
    void eventListIsCopiedAndUnmodifiable() {
        EventData first = EventData.of("t", "1");
        List<EventData> events = new ArrayList<>(List.of(first));

        StreamAppend append = StreamAppend.of(STREAM, ExpectedVersion.any(), events);
        events.add(EventData.of("t", "2"));
        events.set(0, EventData.of("t", "3"));

        assertEquals(1, append.events().size());
        assertSame(first, append.events().get(0));
        assertThrows(UnsupportedOperationException.class, () -> append.events().add(first));
    }

    @Test
    void duplicateIdsAreRejected() {
        EventData event = EventData.of("t", "1");
        EventData sameId = EventData.of("u", "2").withEventId(event.eventId());

        assertThrows(IllegalArgumentException.class,
                () -> StreamAppend.of(STREAM, ExpectedVersion.any(), List.of(event, sameId)));
        assertThrows(IllegalArgumentException.class,
                () -> StreamAppend.of(STREAM, ExpectedVersion.any(), List.of(event, EventData.of("t", "2"), event)));
    }

    @Test
    void nullPartsAreRejected() {
        List<EventData> events = List.of(EventData.of("t", "1"));
        assertThrows(NullPointerException.class, () -> StreamAppend.of(null, ExpectedVersion.any(), events));
        assertThrows(NullPointerException.class, () -> StreamAppend.of(STREAM, null, events));
        assertThrows(NullPointerException.class, () -> StreamAppend.of(STREAM, ExpectedVersion.any(), null));
        assertThrows(NullPointerException.class,
                () -> StreamAppend.of(STREAM, ExpectedVersion.any(), Arrays.asList(EventData.of("t", "1"), null)));
        assertThrows(NullPointerException.class, () -> StreamAppend.check(null, ExpectedVersion.any()));
        assertThrows(NullPointerException.class, () -> StreamAppend.check(STREAM, null));
    }
}
