package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static io.reactivees.r2dbc.PgTestSupport.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.DuplicateEventException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Stream ids, categories and event types that look like SQL, LIKE patterns, escapes or unusual
 * Unicode are only ever bound as values: they are stored and read back verbatim, every filter
 * matches them exactly (a {@code %} category is not a wildcard), and the schema is untouched.
 */
class HostileIdentifiersIT {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static final List<String> CATEGORIES = List.of(
            "o'rder", "x;y", "back\\slash", "ünïcødé", "\"quoted\"", "%", "_", "a b", "日本", "🚀", "semi;colon'",
            "$1", "E'\\x41'", "null", "select", "acct");

    static final List<String> IDS = List.of(
            "'; DROP TABLE events; --", "1' OR '1'='1", "a\\'b", "$1", "\\x00", "日本語-テスト", "emoji 🎉",
            "tab\there", "newline\nhere", "\u202Eevil", "%", "_", "-", "--", "/* comment */", "\\", "'", "\"", ";",
            "e\u0301", "\uFEFFbom", "  padded  ", "%' OR stream_id LIKE '%");

    static final List<String> TYPES = List.of(
            "'; DROP TABLE events; --", "type\\with\\backslashes", "ευρώ.event", "a$1b", "% LIKE _", "\"quoted\"",
            "x'); DELETE FROM streams; --", "🎉.party", "line\nbreak", "%");

    private StoreOnSchema on;
    private final List<Expected> expected = new ArrayList<>();

    private record Expected(EventData data, StreamId stream, long version) {}

    @BeforeEach
    void storeWithHostileHistory() {
        on = PgTestSupport.newStore(options -> options.pageSize(7).pollInterval(Duration.ofMillis(100)));
        int n = 0;
        for (String id : IDS) {
            StreamId stream = StreamId.of(CATEGORIES.get(n % CATEGORIES.size()), id);
            List<EventData> events = List.of(event(TYPES.get(n % TYPES.size()), id), event(TYPES.get((n + 3) % TYPES.size()), id));
            on.store.append(stream, ExpectedVersion.noStream(), events).block(TIMEOUT);
            for (int v = 0; v < events.size(); v++) {
                expected.add(new Expected(events.get(v), stream, v + 1));
            }
            n++;
        }
        // and once more, through the multi-stream path
        StreamId left = StreamId.of("o'rder", "'; DROP TABLE streams; --");
        StreamId right = StreamId.of(CATEGORIES.get(0), IDS.get(0)); // appended above, at version 2
        EventData l = event("'; DROP TABLE events; --", "left");
        EventData r = event("% LIKE _", "right");
        on.store.appendAll(List.of(
                StreamAppend.of(left, ExpectedVersion.noStream(), List.of(l)),
                StreamAppend.of(right, ExpectedVersion.exact(2), List.of(r)))).block(TIMEOUT);
        expected.add(new Expected(l, left, 1));
        expected.add(new Expected(r, right, 3));
        on.awaitSettled();
    }

    @AfterEach
    void close() {
        on.close();
    }

    private static EventData event(String type, String text) {
        ObjectNode data = JSON.createObjectNode().put("text", text).put("sql", "'; DROP TABLE events; --");
        return EventData.of(type, JSON.writeValueAsBytes(data));
    }

    @Test
    void everythingIsStoredAndReadBackVerbatim() {
        List<RecordedEvent> all = on.loadAll();

        assertEquals(expected.size(), all.size());
        for (int i = 0; i < all.size(); i++) {
            assertVerbatim(expected.get(i), all.get(i));
        }
        for (Expected e : expected) {
            List<RecordedEvent> stream = on.store.readStream(e.stream(), ReadOptions.forwards()).collectList().block(TIMEOUT);
            assertVerbatim(e, stream.get((int) e.version() - 1));
        }
        try (RawSession sql = new RawSession()) {
            assertEquals((long) expected.size(), sql.value("SELECT count(*) FROM " + on.table("events")), "the events table is intact");
            assertEquals(3L, sql.value("SELECT count(*) FROM information_schema.tables WHERE table_schema = $1"
                    + " AND table_name IN ('events', 'streams', 'checkpoints')", on.schema));
        }
    }

    @Test
    void streamVersionsAreFoundByTheExactId() {
        for (Expected e : expected) {
            long last = expected.stream().filter(x -> x.stream().equals(e.stream())).mapToLong(Expected::version).max().orElseThrow();
            assertEquals(last, on.store.streamVersion(e.stream()).block(TIMEOUT), "version of " + e.stream());
        }
        assertEquals(null, on.store.streamVersion(StreamId.of("%", "%%")).block(TIMEOUT));
        assertEquals(null, on.store.streamVersion(StreamId.of("o'rder", "' OR '1'='1")).block(TIMEOUT));
    }

    @Test
    void everyFilterMatchesExactly() {
        for (String category : CATEGORIES) {
            assertFilter(EventFilter.forCategory(category), e -> e.stream().category().equals(category));
        }
        for (String type : TYPES) {
            assertFilter(EventFilter.forType(type), e -> e.data().type().equals(type));
        }
        for (Expected e : expected) {
            assertFilter(EventFilter.forStream(e.stream()), x -> x.stream().equals(e.stream()));
            assertFilter(EventFilter.forTypeInStream(e.data().type(), e.stream()),
                    x -> x.stream().equals(e.stream()) && x.data().type().equals(e.data().type()));
        }
        assertFilter(EventFilter.forTypeInCategory("% LIKE _", "%"),
                x -> x.stream().category().equals("%") && x.data().type().equals("% LIKE _"));
    }

    @Test
    void liveSubscriptionsFilterOnThemToo() {
        EventFilter filter = EventFilter.forType("'; DROP TABLE events; --");
        PgTestSupport.Collected live = on.follow(EventQuery.of(filter, EventFilter.forCategory("%")));
        StreamId stream = StreamId.of("%", "'; --");
        EventData later = event("'; DROP TABLE events; --", "later");
        on.store.append(stream, ExpectedVersion.noStream(), List.of(later, event("not it", "x"))).block(TIMEOUT);
        expected.add(new Expected(later, stream, 1));

        on.awaitSettled();
        List<RecordedEvent> wanted = on.store.load(EventQuery.of(filter, EventFilter.forCategory("%"))).collectList().block(TIMEOUT);
        live.awaitAtLeast(wanted.size());
        assertEquals(ids(wanted), ids(live.snapshot()));
        assertEquals(true, ids(live.snapshot()).contains(later.eventId()));
    }

    @Test
    void conflictsAndDuplicatesNameTheHostileStream() {
        Expected first = expected.get(0);

        Throwable conflict = PgTestSupport.errorOf(
                on.store.append(first.stream(), ExpectedVersion.noStream(), List.of(event("x", "x"))));
        assertInstanceOf(ConcurrencyConflictException.class, conflict);
        assertEquals(first.stream(), ((ConcurrencyConflictException) conflict).streamId());
        assertEquals(on.store.streamVersion(first.stream()).block(TIMEOUT), ((ConcurrencyConflictException) conflict).actualVersion());

        StreamId elsewhere = StreamId.of("%", "other'; --");
        Throwable duplicate = PgTestSupport.errorOf(
                on.store.append(elsewhere, ExpectedVersion.any(), List.of(first.data())));
        assertInstanceOf(DuplicateEventException.class, duplicate);
        assertEquals(elsewhere, ((DuplicateEventException) duplicate).streamId());
        assertEquals(first.data().eventId(), ((DuplicateEventException) duplicate).eventId());
        assertEquals(null, on.store.streamVersion(elsewhere).block(TIMEOUT));
    }

    @Test
    void namesTextCannotHoldAreRefusedBeforeAnyIoSoTwoIdsNeverShareAStream() {
        // a lone surrogate has no UTF-8 form: stored, it would become '?' and meet the stream "x?y"
        for (String bad : List.of("x\uD800y", "x\u0000y", "\uDFFF")) {
            assertThrows(IllegalArgumentException.class, () -> StreamId.of("acct", bad));
            assertThrows(IllegalArgumentException.class, () -> StreamId.of(bad, "1"));
            assertThrows(IllegalArgumentException.class, () -> EventData.of(bad, "{}"));
            assertThrows(IllegalArgumentException.class, () -> EventFilter.forType(bad));
        }
        assertEquals(expected.size(), on.store.load(EventQuery.all()).count().block(TIMEOUT));
    }

    @Test
    void namesTooLongForTheirIndexFailAsBadArgumentsOnTheErrorTrackAndStoreNothing() {
        String tooLong = new Random(7).ints(10_000, 33, 127)
                .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
        StreamId longId = StreamId.of("acct", tooLong);

        assertInstanceOf(IllegalArgumentException.class, PgTestSupport.errorOf(
                on.store.append(longId, ExpectedVersion.noStream(), List.of(event("fine", "x")))));
        assertInstanceOf(IllegalArgumentException.class, PgTestSupport.errorOf(
                on.store.append(StreamId.of("acct", "fine"), ExpectedVersion.noStream(), List.of(event(tooLong, "x")))));
        assertInstanceOf(IllegalArgumentException.class, PgTestSupport.errorOf(on.store.appendAll(List.of(
                StreamAppend.of(StreamId.of("acct", "fine"), ExpectedVersion.noStream(), List.of(event("fine", "x"))),
                StreamAppend.of(longId, ExpectedVersion.noStream(), List.of(event("fine", "y")))))));

        assertEquals(expected.size(), on.loadAll().size(), "nothing stored");
        assertEquals(null, on.store.streamVersion(StreamId.of("acct", "fine")).block(TIMEOUT));
    }

    private void assertFilter(EventFilter filter, Predicate<Expected> matches) {
        List<RecordedEvent> loaded = on.store.load(EventQuery.of(filter)).collectList().block(TIMEOUT);
        List<Object> want = expected.stream().filter(matches).map(e -> (Object) e.data().eventId()).toList();
        assertEquals(want, List.copyOf(ids(loaded)), "load with " + filter);
    }

    private static void assertVerbatim(Expected expected, RecordedEvent read) {
        assertEquals(expected.data().eventId(), read.eventId());
        assertEquals(expected.stream(), read.streamId());
        assertEquals(expected.stream().category(), read.streamId().category());
        assertEquals(expected.stream().id(), read.streamId().id());
        assertEquals(expected.version(), read.streamVersion());
        assertEquals(expected.data().type(), read.type());
        assertEquals(JSON.readTree(expected.data().data()), JSON.readTree(read.data()));
        assertEquals(Map.of(), JSON.convertValue(JSON.readTree(read.metadata()), Map.class));
    }
}
