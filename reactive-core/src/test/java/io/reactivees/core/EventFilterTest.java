package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventFilterTest {

    private static final StreamId ACCOUNT_1 = StreamId.of("account", "1");
    private static final StreamId ACCOUNT_2 = StreamId.of("account", "2");
    private static final StreamId ORDER_1 = StreamId.of("order", "1");

    static RecordedEvent event(StreamId stream, String type, Position position) {
        return new RecordedEvent(UUID.randomUUID(), stream, 1, position, type,
                "{}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8), Instant.EPOCH);
    }

    private static RecordedEvent event(StreamId stream, String type) {
        return event(stream, type, Position.of(1, 1));
    }

    @Test
    void forTypeMatchesThatTypeInAnyStream() {
        EventFilter filter = EventFilter.forType("deposited");

        assertTrue(filter.matches(event(ACCOUNT_1, "deposited")));
        assertTrue(filter.matches(event(ORDER_1, "deposited")));
        assertFalse(filter.matches(event(ACCOUNT_1, "withdrawn")));
        assertFalse(filter.matches(event(ACCOUNT_1, "deposited.v2")));
        assertEquals(Optional.of("deposited"), filter.type());
        assertEquals(Optional.empty(), filter.stream());
        assertEquals(Optional.empty(), filter.category());
        assertEquals(Position.START, filter.after());
    }

    @Test
    void forStreamMatchesEveryTypeInThatStream() {
        EventFilter filter = EventFilter.forStream(ACCOUNT_1);

        assertTrue(filter.matches(event(ACCOUNT_1, "deposited")));
        assertTrue(filter.matches(event(ACCOUNT_1, "withdrawn")));
        assertFalse(filter.matches(event(ACCOUNT_2, "deposited")));
        assertFalse(filter.matches(event(ORDER_1, "deposited")));
        assertEquals(Optional.of(ACCOUNT_1), filter.stream());
        assertEquals(Optional.empty(), filter.type());
    }

    @Test
    void forCategoryMatchesEveryStreamOfThatCategory() {
        EventFilter filter = EventFilter.forCategory("account");

        assertTrue(filter.matches(event(ACCOUNT_1, "deposited")));
        assertTrue(filter.matches(event(ACCOUNT_2, "withdrawn")));
        assertTrue(filter.matches(event(StreamId.of("account", "x-y"), "opened")));
        assertFalse(filter.matches(event(ORDER_1, "deposited")));
        assertFalse(filter.matches(event(StreamId.of("accounts", "1"), "deposited")));
        assertEquals(Optional.of("account"), filter.category());
    }

    @Test
    void forTypeInStreamNeedsBoth() {
        EventFilter filter = EventFilter.forTypeInStream("deposited", ACCOUNT_1);

        assertTrue(filter.matches(event(ACCOUNT_1, "deposited")));
        assertFalse(filter.matches(event(ACCOUNT_1, "withdrawn")));
        assertFalse(filter.matches(event(ACCOUNT_2, "deposited")));
    }

    @Test
    void forTypeInCategoryNeedsBoth() {
        EventFilter filter = EventFilter.forTypeInCategory("deposited", "account");

        assertTrue(filter.matches(event(ACCOUNT_1, "deposited")));
        assertTrue(filter.matches(event(ACCOUNT_2, "deposited")));
        assertFalse(filter.matches(event(ACCOUNT_1, "withdrawn")));
        assertFalse(filter.matches(event(ORDER_1, "deposited")));
    }

    @Test
    void afterExcludesEventsAtOrBeforeThePosition() {
        EventFilter filter = EventFilter.forStream(ACCOUNT_1).after(Position.of(5, 10));

        assertFalse(filter.matches(event(ACCOUNT_1, "t", Position.of(4, 20))));
        assertFalse(filter.matches(event(ACCOUNT_1, "t", Position.of(5, 9))));
        assertFalse(filter.matches(event(ACCOUNT_1, "t", Position.of(5, 10))));
        assertTrue(filter.matches(event(ACCOUNT_1, "t", Position.of(5, 11))));
        assertTrue(filter.matches(event(ACCOUNT_1, "t", Position.of(6, 0))));
        assertFalse(filter.matches(event(ACCOUNT_2, "t", Position.of(6, 0))));
        assertEquals(Position.of(5, 10), filter.after());
        assertEquals(Optional.of(ACCOUNT_1), filter.stream());
    }

    @Test
    void afterReturnsANewFilter() {
        EventFilter filter = EventFilter.forType("t");

        EventFilter later = filter.after(Position.of(2, 2));

        assertEquals(Position.START, filter.after());
        assertTrue(filter.matches(event(ACCOUNT_1, "t", Position.of(1, 1))));
        assertFalse(later.matches(event(ACCOUNT_1, "t", Position.of(1, 1))));
        assertThrows(NullPointerException.class, () -> filter.after(null));
    }

    @Test
    void invalidArgumentsAreRejected() {
        assertThrows(NullPointerException.class, () -> EventFilter.forType(null));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forType(" "));
        assertThrows(NullPointerException.class, () -> EventFilter.forStream(null));
        assertThrows(NullPointerException.class, () -> EventFilter.forCategory(null));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forCategory(""));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forCategory("bank-account"));
        assertThrows(NullPointerException.class, () -> EventFilter.forTypeInStream("t", null));
        assertThrows(NullPointerException.class, () -> EventFilter.forTypeInStream(null, ACCOUNT_1));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forTypeInStream("", ACCOUNT_1));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forTypeInCategory("", "account"));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forTypeInCategory("t", "a-b"));
        assertThrows(NullPointerException.class, () -> EventFilter.forTypeInCategory("t", null));
    }

    @Test
    void filtersHaveValueEquality() {
        assertEquals(EventFilter.forType("t"), EventFilter.forType("t"));
        assertEquals(EventFilter.forType("t").hashCode(), EventFilter.forType("t").hashCode());
        assertEquals(EventFilter.forStream(ACCOUNT_1), EventFilter.forStream(StreamId.parse("account-1")));
        assertEquals(EventFilter.forCategory("account"), EventFilter.forCategory("account"));
        assertEquals(EventFilter.forTypeInStream("t", ACCOUNT_1), EventFilter.forTypeInStream("t", ACCOUNT_1));
        assertEquals(EventFilter.forTypeInCategory("t", "account"), EventFilter.forTypeInCategory("t", "account"));
        assertEquals(EventFilter.forType("t").after(Position.of(1, 2)), EventFilter.forType("t").after(Position.of(1, 2)));
        assertEquals(EventFilter.forType("t"), EventFilter.forType("t").after(Position.START));

        assertNotEquals(EventFilter.forType("t"), EventFilter.forType("u"));
        assertNotEquals(EventFilter.forType("account"), EventFilter.forCategory("account"));
        assertNotEquals(EventFilter.forStream(ACCOUNT_1), EventFilter.forStream(ACCOUNT_2));
        assertNotEquals(EventFilter.forTypeInStream("t", ACCOUNT_1), EventFilter.forStream(ACCOUNT_1));
        assertNotEquals(EventFilter.forTypeInCategory("t", "account"), EventFilter.forType("t"));
        assertNotEquals(EventFilter.forType("t"), EventFilter.forType("t").after(Position.of(1, 2)));
    }

    @Test
    void toStringNamesTheParts() {
        String text = EventFilter.forTypeInStream("deposited", ACCOUNT_1).after(Position.of(3, 4)).toString();

        assertTrue(text.contains("type=deposited"), text);
        assertTrue(text.contains("stream=account-1"), text);
        assertTrue(text.contains("after=3:4"), text);
        assertFalse(text.contains("category="), text);
    }

    @Test
    void aTypePostgresCannotStoreAsTextIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forType("a\u0000b"));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forType("a\uD800"));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forTypeInCategory("a\uDFFF", "c"));
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forCategory("c\u0000"));
    }
}
