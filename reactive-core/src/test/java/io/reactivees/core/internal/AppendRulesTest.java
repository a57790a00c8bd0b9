package io.reactivees.core.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.AppendRules.StoredAt;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class AppendRulesTest {

    private static final StreamId A = StreamId.of("account", "a");
    private static final StreamId B = StreamId.of("account", "b");

    private static EventData event() {
        return EventData.of("t", "{}");
    }

    private static StoredAt at(StreamId stream, long version) {
        return new StoredAt(stream, version);
    }

    @Nested
    class RequireValidAppend {

        @Test
        void returnsTheEntry() {
            List<EventData> events = List.of(event(), event());

            StreamAppend append = AppendRules.requireValidAppend(A, ExpectedVersion.exact(2), events);

            assertEquals(StreamAppend.of(A, ExpectedVersion.exact(2), events), append);
        }

        @Test
        void rejectsNoEvents() {
            assertThrows(IllegalArgumentException.class,
                    () -> AppendRules.requireValidAppend(A, ExpectedVersion.any(), List.of()));
        }

        @Test
        void rejectsNulls() {
            List<EventData> events = List.of(event());
            assertThrows(NullPointerException.class, () -> AppendRules.requireValidAppend(A, ExpectedVersion.any(), null));
            assertThrows(NullPointerException.class, () -> AppendRules.requireValidAppend(null, ExpectedVersion.any(), events));
            assertThrows(NullPointerException.class, () -> AppendRules.requireValidAppend(A, null, events));
            assertThrows(NullPointerException.class,
                    () -> AppendRules.requireValidAppend(A, ExpectedVersion.any(), Arrays.asList(event(), null)));
        }

        @Test
        void rejectsDuplicateIds() {
            EventData e = event();
            assertThrows(IllegalArgumentException.class,
                    () -> AppendRules.requireValidAppend(A, ExpectedVersion.any(), List.of(e, e)));
        }
    }

    @Nested
    class RequireValidAppendAll {

        @Test
        void returnsAnImmutableCopy() {
            List<StreamAppend> appends = new ArrayList<>(List.of(
                    StreamAppend.of(A, ExpectedVersion.noStream(), List.of(event())),
                    StreamAppend.check(B, ExpectedVersion.exact(3))));

            List<StreamAppend> copy = AppendRules.requireValidAppendAll(appends);
            appends.clear();

            assertEquals(2, copy.size());
            assertEquals(A, copy.get(0).streamId());
            assertEquals(B, copy.get(1).streamId());
            assertThrows(UnsupportedOperationException.class, copy::clear);
        }

        @Test
        void rejectsAnEmptyList() {
            assertThrows(IllegalArgumentException.class, () -> AppendRules.requireValidAppendAll(List.of()));
        }

        @Test
        void rejectsNulls() {
            assertThrows(NullPointerException.class, () -> AppendRules.requireValidAppendAll(null));
            assertThrows(NullPointerException.class, () -> AppendRules.requireValidAppendAll(
                    Arrays.asList(StreamAppend.of(A, ExpectedVersion.any(), List.of(event())), null)));
        }

        @Test
        void rejectsTheSameStreamTwice() {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AppendRules.requireValidAppendAll(List.of(
                            StreamAppend.of(A, ExpectedVersion.any(), List.of(event())),
                            StreamAppend.check(A, ExpectedVersion.exact(1)))));
            assertTrue(e.getMessage().contains("account-a"), e.getMessage());
        }

        @Test
        void rejectsEntriesThatAreAllChecks() {
            assertThrows(IllegalArgumentException.class, () -> AppendRules.requireValidAppendAll(List.of(
                    StreamAppend.check(A, ExpectedVersion.exact(1)),
                    StreamAppend.check(B, ExpectedVersion.noStream()))));
            assertThrows(IllegalArgumentException.class, () -> AppendRules.requireValidAppendAll(List.of(
                    StreamAppend.check(A, ExpectedVersion.any()))));
        }

        @Test
        void rejectsDuplicateIdsAcrossEntries() {
            EventData e = event();
            IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class,
                    () -> AppendRules.requireValidAppendAll(List.of(
                            StreamAppend.of(A, ExpectedVersion.any(), List.of(e)),
                            StreamAppend.of(B, ExpectedVersion.any(), List.of(event(), e.withMetadata("{\"x\":1}".getBytes(StandardCharsets.UTF_8)))))));
            assertTrue(thrown.getMessage().contains(e.eventId().toString()), thrown.getMessage());
        }
    }

    @Nested
    class IsRetryOf {

        private final List<EventData> events = List.of(event(), event(), event());

        private StreamAppend append(StreamId stream, ExpectedVersion expected) {
            return StreamAppend.of(stream, expected, events);
        }

        @Test
        void exactMatchIsARetry() {
            assertTrue(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(4)), List.of(at(A, 5), at(A, 6), at(A, 7))));
            assertTrue(AppendRules.isRetryOf(append(A, ExpectedVersion.noStream()), List.of(at(A, 1), at(A, 2), at(A, 3))));
            assertTrue(AppendRules.isRetryOf(append(A, ExpectedVersion.streamExists()), List.of(at(A, 2), at(A, 3), at(A, 4))));
        }

        @Test
        void anyAcceptsEveryStartingVersion() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertTrue(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 2), at(A, 3))));
            assertTrue(AppendRules.isRetryOf(append, List.of(at(A, 10), at(A, 11), at(A, 12))));
        }

        @Test
        void wrongStreamIsADuplicate() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertFalse(AppendRules.isRetryOf(append, List.of(at(B, 1), at(B, 2), at(B, 3))));
            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(B, 2), at(A, 3))));
            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 2), at(B, 3))));
        }

        @Test
        void nonConsecutiveVersionsAreADuplicate() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 2), at(A, 4))));
            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 1), at(A, 2))));
        }

        @Test
        void reorderedEventsAreADuplicate() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 2), at(A, 1), at(A, 3))));
            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 3), at(A, 2), at(A, 1))));
        }

        @Test
        void partlyStoredIsADuplicate() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertFalse(AppendRules.isRetryOf(append, Arrays.asList(at(A, 1), at(A, 2), null)));
            assertFalse(AppendRules.isRetryOf(append, Arrays.asList(null, at(A, 2), at(A, 3))));
            assertFalse(AppendRules.isRetryOf(append, Arrays.asList(at(A, 1), null, at(A, 3))));
            assertFalse(AppendRules.isRetryOf(append, Arrays.asList(null, null, null)));
        }

        @Test
        void storedListOfAnotherSizeIsADuplicate() {
            StreamAppend append = append(A, ExpectedVersion.any());

            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 2))));
            assertFalse(AppendRules.isRetryOf(append, List.of(at(A, 1), at(A, 2), at(A, 3), at(A, 4))));
            assertFalse(AppendRules.isRetryOf(StreamAppend.check(A, ExpectedVersion.any()), List.of()));
        }

        @Test
        void exactMismatchIsADuplicate() {
            List<StoredAt> stored = List.of(at(A, 5), at(A, 6), at(A, 7));

            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(3)), stored));
            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(5)), stored));
            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(0)), stored));
            assertTrue(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(4)), stored));
        }

        @Test
        void noStreamWhenTheOriginalStartedLaterIsADuplicate() {
            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.noStream()), List.of(at(A, 2), at(A, 3), at(A, 4))));
            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.exact(0)), List.of(at(A, 2), at(A, 3), at(A, 4))));
        }

        @Test
        void streamExistsWhenTheOriginalCreatedTheStreamIsADuplicate() {
            assertFalse(AppendRules.isRetryOf(append(A, ExpectedVersion.streamExists()), List.of(at(A, 1), at(A, 2), at(A, 3))));
        }
    }
}
