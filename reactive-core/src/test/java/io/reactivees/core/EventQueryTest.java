package io.reactivees.core;

import static io.reactivees.core.EventFilterTest.event;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EventQueryTest {

    private static final StreamId ACCOUNT_1 = StreamId.of("account", "1");
    private static final StreamId ACCOUNT_2 = StreamId.of("account", "2");
    private static final StreamId ORDER_1 = StreamId.of("order", "1");
    private static final Position P = Position.of(1, 1);

    @Test
    void allMatchesEveryEvent() {
        EventQuery all = EventQuery.all();

        assertEquals(List.of(), all.filters());
        assertEquals(Position.START, all.after());
        assertTrue(all.matches(event(ACCOUNT_1, "a", Position.of(0, 1))));
        assertTrue(all.matches(event(ORDER_1, "b", Position.of(Long.MAX_VALUE, Long.MAX_VALUE))));
    }

    @Test
    void filtersAreOred() {
        EventQuery query = EventQuery.of(EventFilter.forStream(ACCOUNT_1), EventFilter.forType("shipped"));

        assertTrue(query.matches(event(ACCOUNT_1, "deposited", P)));
        assertTrue(query.matches(event(ORDER_1, "shipped", P)));
        assertTrue(query.matches(event(ACCOUNT_1, "shipped", P)));
        assertFalse(query.matches(event(ACCOUNT_2, "deposited", P)));
        assertFalse(query.matches(event(ORDER_1, "placed", P)));
    }

    @Test
    void eachFactoryFilterWorksInAQuery() {
        RecordedEvent deposited = event(ACCOUNT_1, "deposited", P);
        RecordedEvent placed = event(ORDER_1, "placed", P);

        assertTrue(EventQuery.of(EventFilter.forType("deposited")).matches(deposited));
        assertFalse(EventQuery.of(EventFilter.forType("deposited")).matches(placed));
        assertTrue(EventQuery.of(EventFilter.forCategory("order")).matches(placed));
        assertFalse(EventQuery.of(EventFilter.forCategory("order")).matches(deposited));
        assertTrue(EventQuery.of(EventFilter.forTypeInStream("placed", ORDER_1)).matches(placed));
        assertFalse(EventQuery.of(EventFilter.forTypeInStream("placed", ACCOUNT_1)).matches(placed));
        assertTrue(EventQuery.of(EventFilter.forTypeInCategory("deposited", "account")).matches(deposited));
        assertFalse(EventQuery.of(EventFilter.forTypeInCategory("deposited", "order")).matches(deposited));
    }

    @Test
    void queryAfterExcludesEarlierEventsForEveryFilter() {
        EventQuery query = EventQuery.of(EventFilter.forStream(ACCOUNT_1), EventFilter.forType("placed"))
                .after(Position.of(5, 5));

        assertEquals(Position.of(5, 5), query.after());
        assertFalse(query.matches(event(ACCOUNT_1, "t", Position.of(5, 5))));
        assertFalse(query.matches(event(ORDER_1, "placed", Position.of(4, 9))));
        assertTrue(query.matches(event(ACCOUNT_1, "t", Position.of(5, 6))));
        assertTrue(query.matches(event(ORDER_1, "placed", Position.of(6, 0))));
        assertFalse(EventQuery.all().after(Position.of(2, 0)).matches(event(ORDER_1, "x", Position.of(1, 9))));
        assertTrue(EventQuery.all().after(Position.of(2, 0)).matches(event(ORDER_1, "x", Position.of(2, 1))));
    }

    @Test
    void filterAfterAppliesOnlyToItsOwnFilter() {
        EventQuery query = EventQuery.of(
                EventFilter.forStream(ACCOUNT_1).after(Position.of(5, 0)),
                EventFilter.forStream(ACCOUNT_2));

        assertFalse(query.matches(event(ACCOUNT_1, "t", Position.of(3, 0))));
        assertTrue(query.matches(event(ACCOUNT_1, "t", Position.of(6, 0))));
        assertTrue(query.matches(event(ACCOUNT_2, "t", Position.of(3, 0))));
    }

    @Test
    void afterReturnsANewQueryWithTheSameFilters() {
        EventQuery query = EventQuery.of(EventFilter.forType("t"));

        EventQuery later = query.after(Position.of(9, 9));

        assertEquals(Position.START, query.after());
        assertEquals(query.filters(), later.filters());
        assertEquals(new EventQuery(List.of(EventFilter.forType("t")), Position.of(9, 9)), later);
        assertThrows(NullPointerException.class, () -> query.after(null));
    }

    @Test
    void ofWithoutFiltersIsRejected() {
        assertThrows(IllegalArgumentException.class, EventQuery::of);
        assertThrows(IllegalArgumentException.class, () -> EventQuery.of(new EventFilter[0]));
        assertThrows(NullPointerException.class, () -> EventQuery.of((EventFilter[]) null));
        assertThrows(NullPointerException.class, () -> EventQuery.of(EventFilter.forType("t"), null));
    }

    @Test
    void filtersAreCopied() {
        List<EventFilter> filters = new ArrayList<>(List.of(EventFilter.forType("t")));

        EventQuery query = new EventQuery(filters, Position.START);
        filters.add(EventFilter.forType("u"));

        assertEquals(List.of(EventFilter.forType("t")), query.filters());
        assertThrows(UnsupportedOperationException.class, () -> query.filters().add(EventFilter.forType("v")));
        assertThrows(NullPointerException.class,
                () -> new EventQuery(Arrays.asList(EventFilter.forType("t"), null), Position.START));
        assertThrows(NullPointerException.class, () -> new EventQuery(null, Position.START));
        assertThrows(NullPointerException.class, () -> new EventQuery(List.of(), null));
    }

    @Test
    void queriesHaveValueEquality() {
        assertEquals(EventQuery.of(EventFilter.forType("t"), EventFilter.forCategory("account")),
                EventQuery.of(EventFilter.forType("t"), EventFilter.forCategory("account")));
        assertEquals(EventQuery.all(), new EventQuery(List.of(), Position.START));
    }
}
