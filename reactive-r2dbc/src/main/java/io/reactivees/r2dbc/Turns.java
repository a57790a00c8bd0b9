package io.reactivees.r2dbc;

import io.reactivees.core.EventData;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.UUID;

/**
 * Turns on contended streams, for one {@link WriteLane}: the writers of a stream that keep losing
 * conflicts to each other are served in the order of their first loss.
 *
 * <p>An append that lost a conflict gets a <em>ticket</em>, remembered by its first event's id. When
 * it comes back with the same ids (a writer that retries its append, an aggregate command with a
 * command id, whose event ids are derived from it), it is a retry: it goes before the appends that
 * have not lost, oldest ticket first. A stream whose appends lost is <em>held</em> for the retry of
 * its oldest loser still out: the stream's other appends wait until that retry goes into a commit,
 * or for at most {@link #HOLD} after the commit that made it the oldest, so that a loser that
 * reloads before it retries is not beaten every round by the winner's next append (which arrives
 * first: it needs no reload). When the oldest loser does not come back in time, the stream is no
 * longer held (until its next conflict); a stream without conflicts is never held.
 *
 * <p>Not thread-safe: the lane calls it with its lock held. It remembers at most
 * {@link #REMEMBERED} tickets, forgetting the oldest first.
 */
final class Turns {

    /** How long a stream waits for the retry of its oldest loser. */
    static final Duration HOLD = Duration.ofMillis(25);

    static final int REMEMBERED = 4096;

    /** The tickets of appends that lost and have not succeeded since, by their first event's id. */
    private final Map<UUID, Long> tickets = new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<UUID, Long> eldest) {
            return size() > REMEMBERED;
        }
    };
    private final Map<StreamId, Contention> contended = new HashMap<>();
    private long lastTicket;

    /** The ticket of {@code append} if it is the retry of one that lost; 0 otherwise. */
    long ticketOf(List<StreamAppend> append) {
        UUID id = firstEventId(append);
        Long ticket = id == null ? null : tickets.get(id);
        return ticket == null ? 0 : ticket;
    }

    /**
     * Whether an append (with its ticket) must stay queued at {@code nowMillis}: one of its streams is
     * held for the retry of another append. Holds that have run out end.
     */
    boolean held(List<StreamAppend> append, long ticket, long nowMillis) {
        for (StreamAppend entry : append) {
            Contention contention = contended.get(entry.streamId());
            if (contention == null || contention.oldestTaken || contention.losers.first() == ticket) {
                continue;
            }
            if (contention.until <= nowMillis) {
                contended.remove(entry.streamId());
            } else {
                return true;
            }
        }
        return false;
    }

    /** An append goes into a commit: when it is the retry its stream is held for, the hold ends. */
    void taken(List<StreamAppend> append, long ticket) {
        if (ticket == 0) {
            return;
        }
        for (StreamAppend entry : append) {
            Contention contention = contended.get(entry.streamId());
            if (contention != null && contention.losers.first() == ticket) {
                contention.oldestTaken = true;
            }
        }
    }

    /**
     * A single-stream append lost a conflict at {@code nowMillis}: it keeps its ticket (or gets the
     * next one), and its stream is held for its oldest loser for {@link #HOLD}.
     */
    void lost(List<StreamAppend> append, long nowMillis) {
        UUID id = firstEventId(append);
        if (id == null || append.size() != 1) {
            return;
        }
        long ticket = tickets.computeIfAbsent(id, any -> ++lastTicket);
        Contention contention = contended.computeIfAbsent(append.get(0).streamId(), any -> new Contention());
        contention.losers.add(ticket);
        contention.hold(nowMillis);
    }

    /** An append was stored (or answered as a retry) at {@code nowMillis}: its ticket is spent. */
    void succeeded(List<StreamAppend> append, long nowMillis) {
        UUID id = firstEventId(append);
        Long ticket = id == null ? null : tickets.remove(id);
        if (ticket == null) {
            return;
        }
        for (StreamAppend entry : append) {
            Contention contention = contended.get(entry.streamId());
            if (contention != null && contention.losers.remove(ticket)) {
                if (contention.losers.isEmpty()) {
                    contended.remove(entry.streamId());
                } else {
                    contention.hold(nowMillis); // now held for the next oldest
                }
            }
        }
    }

    /** When the first hold runs out, in the lane's milliseconds; {@code Long.MAX_VALUE} when none runs. */
    long nextExpiry(long nowMillis) {
        long next = Long.MAX_VALUE;
        for (Iterator<Contention> it = contended.values().iterator(); it.hasNext(); ) {
            Contention contention = it.next();
            if (contention.until <= nowMillis) {
                it.remove();
            } else if (!contention.oldestTaken) {
                next = Math.min(next, contention.until);
            }
        }
        return next;
    }

    private static UUID firstEventId(List<StreamAppend> append) {
        for (StreamAppend entry : append) {
            List<EventData> events = entry.events();
            if (!events.isEmpty()) {
                return events.get(0).eventId();
            }
        }
        return null;
    }

    /** A stream's losers still out, by ticket; it is held for the oldest until {@code until}. */
    private static final class Contention {
        final TreeSet<Long> losers = new TreeSet<>();
        long until;
        /** Whether the oldest loser's retry is in a commit: the stream is not held meanwhile. */
        boolean oldestTaken;

        void hold(long nowMillis) {
            until = nowMillis + HOLD.toMillis();
            oldestTaken = false;
        }
    }
}
