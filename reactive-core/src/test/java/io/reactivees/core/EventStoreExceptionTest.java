package io.reactivees.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventStoreExceptionTest {

    private static final StreamId STREAM = StreamId.of("account", "1");
    private static final UUID ID = UUID.fromString("5e1d2b3c-0000-4000-8000-000000000001");

    @Test
    void concurrencyConflictKeepsItsPartsAndSaysWhatHappened() {
        ConcurrencyConflictException e = new ConcurrencyConflictException(STREAM, ExpectedVersion.exact(3), 5);

        assertEquals(STREAM, e.streamId());
        assertEquals(ExpectedVersion.exact(3), e.expected());
        assertEquals(5, e.actualVersion());
        assertEquals("Stream account-1 expected version 3 but is at version 5", e.getMessage());
        assertNull(e.getCause());
        assertEquals("Stream account-1 expected no stream but is at version 2",
                new ConcurrencyConflictException(STREAM, ExpectedVersion.noStream(), 2).getMessage());
    }

    @Test
    void concurrencyConflictRejectsNullParts() {
        assertThrows(NullPointerException.class, () -> new ConcurrencyConflictException(null, ExpectedVersion.any(), 1));
        assertThrows(NullPointerException.class, () -> new ConcurrencyConflictException(STREAM, null, 1));
    }

    @Test
    void duplicateEventKeepsItsPartsAndSaysWhatHappened() {
        DuplicateEventException e = new DuplicateEventException(ID, STREAM);

        assertEquals(ID, e.eventId());
        assertEquals(STREAM, e.streamId());
        assertEquals("Event id " + ID + " appended to account-1 is already stored at another place", e.getMessage());
        assertNull(e.getCause());
        assertThrows(NullPointerException.class, () -> new DuplicateEventException(null, STREAM));
        assertThrows(NullPointerException.class, () -> new DuplicateEventException(ID, null));
    }

    @Test
    void eventDecodingKeepsItsPartsAndCause() {
        IOException cause = new IOException("boom");

        EventDecodingException e = new EventDecodingException(STREAM, 7, "account.opened", "unknown type", cause);

        assertEquals(STREAM, e.streamId());
        assertEquals(7, e.streamVersion());
        assertEquals("account.opened", e.type());
        assertSame(cause, e.getCause());
        assertEquals("Cannot decode event account-1@7 of type account.opened: unknown type", e.getMessage());
        assertNull(new EventDecodingException(STREAM, 1, "t", "bad", null).getCause());
        assertThrows(NullPointerException.class, () -> new EventDecodingException(null, 1, "t", "r", null));
        assertThrows(NullPointerException.class, () -> new EventDecodingException(STREAM, 1, null, "r", null));
    }

    @Test
    void storeUnavailableKeepsMessageAndCause() {
        IOException cause = new IOException("connection reset");

        StoreUnavailableException e = new StoreUnavailableException("appending", cause);

        assertEquals("appending", e.getMessage());
        assertSame(cause, e.getCause());
    }

    @Test
    void concurrencyConflictSurvivesJavaSerialization() {
        for (ExpectedVersion expected : new ExpectedVersion[] {
            ExpectedVersion.any(), ExpectedVersion.noStream(), ExpectedVersion.streamExists(), ExpectedVersion.exact(3),
        }) {
            ConcurrencyConflictException e = new ConcurrencyConflictException(STREAM, expected, 5);

            ConcurrencyConflictException read = JavaSerialization.roundTrip(e);

            assertEquals(STREAM, read.streamId());
            assertEquals(expected, read.expected());
            assertEquals(5, read.actualVersion());
            assertEquals(e.getMessage(), read.getMessage());
        }
        assertSame(ExpectedVersion.noStream(), JavaSerialization.roundTrip(
                new ConcurrencyConflictException(STREAM, ExpectedVersion.noStream(), 1)).expected());
    }

    @Test
    void duplicateEventSurvivesJavaSerialization() {
        DuplicateEventException e = new DuplicateEventException(ID, STREAM);

        DuplicateEventException read = JavaSerialization.roundTrip(e);

        assertEquals(ID, read.eventId());
        assertEquals(STREAM, read.streamId());
        assertEquals(e.getMessage(), read.getMessage());
    }

    @Test
    void eventDecodingSurvivesJavaSerializationWithItsCause() {
        EventDecodingException e = new EventDecodingException(STREAM, 7, "account.opened", "unknown type",
                new IOException("boom"));

        EventDecodingException read = JavaSerialization.roundTrip(e);

        assertEquals(STREAM, read.streamId());
        assertEquals(7, read.streamVersion());
        assertEquals("account.opened", read.type());
        assertEquals(e.getMessage(), read.getMessage());
        assertInstanceOf(IOException.class, read.getCause());
        assertEquals("boom", read.getCause().getMessage());
    }

    @Test
    void storeUnavailableSurvivesJavaSerialization() {
        StoreUnavailableException read = JavaSerialization.roundTrip(
                new StoreUnavailableException("appending", new IOException("connection reset")));

        assertEquals("appending", read.getMessage());
        assertEquals("connection reset", read.getCause().getMessage());
    }

    @Test
    void allAreUncheckedEventStoreExceptions() {
        RuntimeException[] all = {
            new ConcurrencyConflictException(STREAM, ExpectedVersion.any(), 0),
            new DuplicateEventException(ID, STREAM),
            new EventDecodingException(STREAM, 1, "t", "r", null),
            new StoreUnavailableException("m", null),
            new StoreConfigurationException("m", null),
            new RerunTransactionException("m", null),
        };
        for (RuntimeException e : all) {
            assertInstanceOf(EventStoreException.class, e);
        }
    }

    @Test
    void appendConditionFailedKeepsWhereTheMatchIsAndSurvivesSerialization() throws Exception {
        AppendCondition condition = AppendCondition.failIfEventsMatch(EventQuery.of(EventFilter.forTags("seat:1"))).after(Position.of(3, 4));
        AppendConditionFailedException e = new AppendConditionFailedException(condition, Position.of(5, 9));
        assertEquals(Position.of(5, 9), e.matchedAt());
        assertTrue(e.getMessage().contains("seat:1") && e.getMessage().contains("5:9"), e.getMessage());
        assertNull(e.getCause());
        assertEquals(Position.of(5, 9), JavaSerialization.roundTrip(e).matchedAt());
        assertThrows(NullPointerException.class, () -> new AppendConditionFailedException(null, Position.START));
        assertThrows(NullPointerException.class, () -> new AppendConditionFailedException(condition, null));
    }

    @Test
    void hierarchyIsSealedToTheSevenKinds() {
        assertTrue(EventStoreException.class.isSealed());
        assertEquals(
                Set.of(ConcurrencyConflictException.class, AppendConditionFailedException.class, DuplicateEventException.class,
                        EventDecodingException.class, StoreUnavailableException.class,
                        StoreConfigurationException.class, RerunTransactionException.class),
                Set.of(EventStoreException.class.getPermittedSubclasses()));
    }
}
