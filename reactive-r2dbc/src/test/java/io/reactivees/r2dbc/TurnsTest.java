package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.util.List;
import org.junit.jupiter.api.Test;

class TurnsTest {

    private static final StreamId HOT = StreamId.of("acct", "hot");
    private static final StreamId OTHER = StreamId.of("acct", "other");
    private static final long HOLD = Turns.HOLD.toMillis();

    private final Turns turns = new Turns();

    @Test
    void aStreamWithoutConflictsIsNeverHeld() {
        List<StreamAppend> append = append(HOT);
        assertEquals(0, turns.ticketOf(append));
        assertFalse(turns.held(append, 0, 0));
        turns.succeeded(append, 0);
        assertEquals(Long.MAX_VALUE, turns.nextExpiry(0));
    }

    @Test
    void afterALossTheStreamWaitsForTheLosersRetryAndOnlyThatStream() {
        List<StreamAppend> loser = append(HOT);
        turns.lost(loser, 100);
        long ticket = turns.ticketOf(loser);
        assertTrue(ticket > 0, "the retry is known by its ids");

        List<StreamAppend> newcomer = append(HOT);
        assertTrue(turns.held(newcomer, 0, 101), "the winner's next append waits");
        assertFalse(turns.held(append(OTHER), 0, 101), "other streams do not");
        assertFalse(turns.held(loser, ticket, 101), "the retry goes");
        assertEquals(100 + HOLD, turns.nextExpiry(101));

        turns.taken(loser, ticket);
        assertFalse(turns.held(newcomer, 0, 102), "the retry is in a commit: the others may follow it");
    }

    @Test
    void aLoserThatDoesNotComeBackHoldsTheStreamForAtMostTheHold() {
        turns.lost(append(HOT), 100);
        List<StreamAppend> newcomer = append(HOT);
        assertTrue(turns.held(newcomer, 0, 100 + HOLD - 1));
        assertFalse(turns.held(newcomer, 0, 100 + HOLD));
        assertFalse(turns.held(newcomer, 0, 100 + HOLD + 1), "and no longer, until the next conflict");
        assertEquals(Long.MAX_VALUE, turns.nextExpiry(100 + HOLD + 1));
    }

    @Test
    void losersAreServedInTheOrderOfTheirFirstLoss() {
        List<StreamAppend> first = append(HOT);
        List<StreamAppend> second = append(HOT);
        turns.lost(first, 100);
        turns.lost(second, 100);
        long firstTicket = turns.ticketOf(first);
        long secondTicket = turns.ticketOf(second);
        assertTrue(firstTicket < secondTicket);
        assertTrue(turns.held(second, secondTicket, 101), "the younger loser waits for the older");

        // the older one loses again (its reload raced another commit): it keeps its place
        turns.taken(first, firstTicket);
        turns.lost(first, 110);
        assertEquals(firstTicket, turns.ticketOf(first));
        assertTrue(turns.held(second, secondTicket, 111));

        // it wins: the stream is now held for the next oldest, from then on
        turns.taken(first, firstTicket);
        turns.succeeded(first, 120);
        assertEquals(0, turns.ticketOf(first), "its ticket is spent");
        assertFalse(turns.held(second, secondTicket, 121));
        assertTrue(turns.held(append(HOT), 0, 121));
        assertEquals(120 + HOLD, turns.nextExpiry(121));

        turns.succeeded(second, 130);
        assertFalse(turns.held(append(HOT), 0, 131), "no loser left: not held");
    }

    @Test
    void anAppendToSeveralStreamsWaitsForAHeldOneButGetsNoTicket() {
        turns.lost(append(HOT), 100);
        List<StreamAppend> both = List.of(entry(OTHER), entry(HOT));
        assertTrue(turns.held(both, 0, 101));
        turns.lost(both, 101);
        assertEquals(0, turns.ticketOf(both), "only single-stream appends take turns");
    }

    @Test
    void itRemembersABoundedNumberOfTickets() {
        List<StreamAppend> oldest = append(HOT);
        turns.lost(oldest, 0);
        for (int i = 0; i < Turns.REMEMBERED; i++) {
            turns.lost(append(StreamId.of("acct", Integer.toString(i))), 0);
        }
        assertEquals(0, turns.ticketOf(oldest), "the oldest ticket was forgotten");
    }

    private static List<StreamAppend> append(StreamId stream) {
        return List.of(entry(stream));
    }

    private static StreamAppend entry(StreamId stream) {
        return StreamAppend.of(stream, ExpectedVersion.exact(0), List.of(EventData.of("happened", "{}")));
    }
}
