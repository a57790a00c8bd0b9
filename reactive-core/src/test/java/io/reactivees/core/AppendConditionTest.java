package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class AppendConditionTest {

    private static final StreamId STREAM = StreamId.of("seat", "1");

    private static RecordedEvent recorded(Position position, String type, String... tags) {
        return new RecordedEvent(UUID.randomUUID(), STREAM, 1, position, type, "{}".getBytes(), "{}".getBytes(), Instant.EPOCH, Set.of(tags));
    }

    @Test
    void aConditionMatchesWhatItsQueryMatchesAfterItsPosition() {
        AppendCondition condition = AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forType("seat.reserved").tagged("seat:1")))
                .after(Position.of(5, 5));
        assertEquals(Position.of(5, 5), condition.after());
        assertTrue(condition.matches(recorded(Position.of(6, 1), "seat.reserved", "seat:1", "show:1")));
        assertFalse(condition.matches(recorded(Position.of(5, 5), "seat.reserved", "seat:1")), "at the position: read already");
        assertFalse(condition.matches(recorded(Position.of(6, 1), "seat.released", "seat:1")));
        assertFalse(condition.matches(recorded(Position.of(6, 1), "seat.reserved", "seat:2")));
    }

    @Test
    void combinedConditionsKeepEachPositionOnItsFilters() {
        AppendCondition a = AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("a"))).after(Position.of(10, 1));
        AppendCondition b = AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("b").after(Position.of(3, 1)))).after(Position.of(2, 1));
        AppendCondition both = a.and(b);
        assertEquals(Position.START, both.after());
        assertEquals(List.of(EventFilter.forTags("a").after(Position.of(10, 1)), EventFilter.forTags("b").after(Position.of(3, 1))), both.filters());
        assertFalse(both.matches(recorded(Position.of(9, 1), "x", "a")));
        assertTrue(both.matches(recorded(Position.of(11, 1), "x", "a")));
        assertFalse(both.matches(recorded(Position.of(3, 1), "x", "b")));
        assertTrue(both.matches(recorded(Position.of(4, 1), "x", "b")));
        assertThrows(NullPointerException.class, () -> a.and(null));
    }

    @Test
    void aConditionNeedsFiltersThatNameATypeOrATag() {
        assertThrows(IllegalArgumentException.class, () -> AppendCondition.failIfEventsMatch(EventQuery.all()));
        assertThrows(IllegalArgumentException.class,
                () -> AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("a"), EventFilter.forStream(STREAM))));
        AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTypeInStream("a", STREAM), EventFilter.forCategory("seat").tagged("x")));
        assertThrows(NullPointerException.class, () -> new AppendCondition(null));
    }

    @Test
    void tagsAreValidatedSortedAndPartOfEquality() {
        EventData event = EventData.of("a", "{}").withTags("b", "a", "b");
        assertEquals(List.of("a", "b"), List.copyOf(event.tags()));
        assertThrows(UnsupportedOperationException.class, () -> event.tags().add("c"));
        assertFalse(event.equals(event.withTags("a")));
        assertEquals(event, event.withTags(Set.of("a", "b")));
        assertEquals(event.tags(), event.withEventId(UUID.randomUUID()).tags(), "a copy keeps the tags");
        assertEquals(event.tags(), event.withMetadata("{\"k\":1}".getBytes()).tags());
        assertEquals(Set.of(), EventData.of("a", "{}").tags());
        assertTrue(event.toString().contains("tags=[a, b]"), event.toString());
        assertThrows(IllegalArgumentException.class, () -> event.withTags("\uD800"));

        RecordedEvent recorded = recorded(Position.of(1, 1), "a", "z", "y");
        assertEquals(List.of("y", "z"), List.copyOf(recorded.tags()));
        assertFalse(recorded.equals(new RecordedEvent(recorded.eventId(), STREAM, 1, recorded.position(), "a", recorded.data(),
                recorded.metadata(), Instant.EPOCH)));
        assertThrows(NullPointerException.class, () -> new RecordedEvent(recorded.eventId(), STREAM, 1, recorded.position(), "a",
                recorded.data(), recorded.metadata(), Instant.EPOCH, null));
        assertThrows(IllegalArgumentException.class, () -> recorded(Position.of(1, 1), "a", " "));
    }

    @Test
    void tagFiltersMatchEventsCarryingEveryTag() {
        EventFilter filter = EventFilter.forTags("b").tagged("a");
        assertEquals(Set.of("a", "b"), filter.tags());
        assertTrue(filter.matches(recorded(Position.of(1, 1), "t", "a", "b", "c")));
        assertFalse(filter.matches(recorded(Position.of(1, 1), "t", "a")));
        assertEquals(EventFilter.forTags("a", "b"), filter);
        assertTrue(filter.toString().contains("tags=[a, b]"));
        assertFalse(EventFilter.forType("t").equals(EventFilter.forType("t").tagged("a")));
        assertEquals(Set.of(), EventFilter.forType("t").tags());
        assertThrows(IllegalArgumentException.class, () -> EventFilter.forType("t").tagged());
        assertThrows(NullPointerException.class, () -> EventFilter.forTags((String[]) null));
    }
}
