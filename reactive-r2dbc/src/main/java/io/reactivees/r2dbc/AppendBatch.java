package io.reactivees.r2dbc;

import io.r2dbc.spi.Readable;
import io.reactivees.core.AppendResult;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.StreamAppend;
import io.reactivees.core.StreamId;
import io.reactivees.core.internal.AppendRules;
import io.reactivees.core.internal.AppendRules.StoredAt;
import io.reactivees.r2dbc.Database.Sql;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Appends committed together by one call of {@link AppendFunction}: the column arrays it binds,
 * and each append's own outcome read back from the result rows. An append is one {@code append}
 * (one entry) or one {@code appendAll} (an entry per stream); they keep their arrival order.
 */
final class AppendBatch {

    private final List<List<StreamAppend>> appends = new ArrayList<>();
    private final List<StreamAppend> entries = new ArrayList<>();
    private final Map<StreamId, Integer> slots = new HashMap<>();
    private final List<StreamId> slotStreams = new ArrayList<>();
    private int events;
    private long bytes;

    /** A batch of one append: for the caller's transaction and for rerunning a failed batch alone. */
    static AppendBatch of(List<StreamAppend> append) {
        AppendBatch batch = new AppendBatch();
        batch.add(append);
        return batch;
    }

    /** The number of appends. */
    int size() {
        return appends.size();
    }

    int events() {
        return events;
    }

    long bytes() {
        return bytes;
    }

    int streams() {
        return slotStreams.size();
    }

    /** How many streams of {@code append} the batch does not hold yet. */
    int newStreams(List<StreamAppend> append) {
        int n = 0;
        for (StreamAppend entry : append) {
            if (!slots.containsKey(entry.streamId())) {
                n++;
            }
        }
        return n;
    }

    /** The payload size of an append, as the batch bounds count it. */
    static long bytesOf(List<StreamAppend> append) {
        long n = 0;
        for (StreamAppend entry : append) {
            for (EventData event : entry.events()) {
                n += event.dataLength() + event.metadataLength();
            }
        }
        return n;
    }

    static int eventsOf(List<StreamAppend> append) {
        int n = 0;
        for (StreamAppend entry : append) {
            n += entry.events().size();
        }
        return n;
    }

    void add(List<StreamAppend> append) {
        appends.add(append);
        for (StreamAppend entry : append) {
            entries.add(entry);
            slots.computeIfAbsent(entry.streamId(), stream -> {
                slotStreams.add(stream);
                return slotStreams.size();
            });
            events += entry.events().size();
        }
        bytes += bytesOf(append);
    }

    /** The call of {@link AppendFunction} that commits the batch. */
    Sql sql(String callText) {
        int n = entries.size();
        Integer[] unit = new Integer[n];
        Integer[] slot = new Integer[n];
        Long[] expected = new Long[n];
        Integer[] count = new Integer[n];
        UUID[] ids = new UUID[events];
        Integer[] entryOf = new Integer[events];
        String[] types = new String[events];
        int entry = 0;
        int event = 0;
        for (int u = 0; u < appends.size(); u++) {
            for (StreamAppend append : appends.get(u)) {
                unit[entry] = u;
                slot[entry] = slots.get(append.streamId());
                expected[entry] = expected(append.expected());
                count[entry] = append.events().size();
                entry++;
                for (EventData e : append.events()) {
                    ids[event] = e.eventId();
                    entryOf[event] = entry;
                    types[event] = e.type();
                    event++;
                }
            }
        }
        String[] streams = new String[slotStreams.size()];
        String[] categories = new String[slotStreams.size()];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = slotStreams.get(i).toString();
            categories[i] = slotStreams.get(i).category();
        }
        EventTags tags = EventTags.of(entries);
        return new Sql(callText, List.of(unit, slot, expected, count, streams, categories, ids, entryOf, types, PayloadDocument.of(entries),
                tags.eventOf(), tags.tags()));
    }

    /** The expected version as the append functions take it: a version, or {@link AppendFunction#ANY} and the like. */
    static long expected(ExpectedVersion expected) {
        if (expected instanceof ExpectedVersion.Exact exact) {
            return exact.version();
        }
        if (expected == ExpectedVersion.any()) {
            return AppendFunction.ANY;
        }
        return expected == ExpectedVersion.noStream() ? AppendFunction.NO_STREAM : AppendFunction.STREAM_EXISTS;
    }

    /** One result row of {@link AppendFunction}. */
    record Row(int entry, String outcome, String stream, Long from, Long to, Long tx, Long pos, UUID event) {
        static Row of(Readable row) {
            return new Row(row.get(0, Integer.class), row.get(1, String.class), row.get(2, String.class), row.get(3, Long.class),
                    row.get(4, Long.class), row.get(5, Long.class), row.get(6, Long.class), row.get(7, UUID.class));
        }

        Position position() {
            return pos == null ? Position.START : new Position(tx, pos);
        }
    }

    /** What one append of the batch came to: its results, or the failure that answers it alone. */
    record Outcome(List<AppendResult> results, RuntimeException failure) {
        static Outcome of(List<AppendResult> results) {
            return new Outcome(results, null);
        }

        static Outcome failed(RuntimeException failure) {
            return new Outcome(null, failure);
        }

        boolean wrote() {
            return results != null && results.stream().anyMatch(r -> r.toVersion() > r.fromVersion());
        }
    }

    /**
     * Reads each append's outcome from the function's rows, in the batch's order.
     *
     * @throws IllegalStateException if the rows do not answer every append (a bug, never data)
     */
    List<Outcome> outcomes(List<Row> rows) {
        Row[] byEntry = new Row[entries.size() + 1];
        Map<UUID, Row> stored = new HashMap<>();
        Map<String, Long> committedVersions = new HashMap<>();
        for (Row row : rows) {
            if (AppendFunction.STORED.equals(row.outcome())) {
                stored.put(row.event(), row);
            } else if (byEntry[row.entry()] == null || AppendFunction.CONFLICT.equals(row.outcome())) {
                byEntry[row.entry()] = row;
            }
            if (AppendFunction.OK.equals(row.outcome())) {
                committedVersions.merge(row.stream(), row.to(), Math::max);
            }
        }
        List<Outcome> outcomes = new ArrayList<>(appends.size());
        int first = 1;
        for (List<StreamAppend> append : appends) {
            outcomes.add(outcome(append, first, byEntry, stored, committedVersions));
            first += append.size();
        }
        return outcomes;
    }

    /**
     * @param committedVersions each stream's version after the appends of this batch that wrote to
     *     it. A conflict is reported with the stream's version once the commit is in, not the one its
     *     append was decided against: a later append of the same batch may have moved the stream on,
     *     and a writer that retried at the version it was decided against would conflict again.
     */
    private static Outcome outcome(List<StreamAppend> append, int first, Row[] byEntry, Map<UUID, Row> stored,
                                   Map<String, Long> committedVersions) {
        for (int i = 0; i < append.size(); i++) {
            Row row = byEntry[first + i];
            if (row != null && AppendFunction.CONFLICT.equals(row.outcome())) {
                StreamAppend entry = append.get(i);
                long actual = Math.max(row.from(), committedVersions.getOrDefault(row.stream(), row.from()));
                return Outcome.failed(new ConcurrencyConflictException(entry.streamId(), entry.expected(), actual));
            }
        }
        boolean anyStored = false;
        for (StreamAppend entry : append) {
            for (EventData event : entry.events()) {
                anyStored |= stored.containsKey(event.eventId());
            }
        }
        if (anyStored) {
            return answerStored(append, first, byEntry, stored);
        }
        List<AppendResult> results = new ArrayList<>(append.size());
        for (int i = 0; i < append.size(); i++) {
            Row row = byEntry[first + i];
            if (row == null) {
                throw new IllegalStateException("the append function did not answer " + append.get(i).streamId());
            }
            results.add(new AppendResult(append.get(i).streamId(), row.from(), row.to(), row.position()));
        }
        return Outcome.of(List.copyOf(results));
    }

    /**
     * An append some of whose ids are stored: the retry of that very append (every id where it
     * would have put it) answers the original results; anything else is a duplicate.
     */
    private static Outcome answerStored(List<StreamAppend> append, int first, Row[] byEntry, Map<UUID, Row> stored) {
        if (!AppendRules.isRetryOfAll(append, id -> {
            Row row = stored.get(id);
            return row == null ? null : new StoredAt(StreamId.parse(row.stream()), row.from());
        })) {
            return Outcome.failed(AppendRules.duplicateOf(append, stored::containsKey));
        }
        List<AppendResult> results = new ArrayList<>(append.size());
        for (int i = 0; i < append.size(); i++) {
            StreamAppend entry = append.get(i);
            if (entry.isCheckOnly()) {
                Row check = byEntry[first + i];
                long version = check == null ? 0 : check.from();
                results.add(new AppendResult(entry.streamId(), version, version, check == null ? Position.START : check.position()));
            } else {
                Row firstEvent = stored.get(entry.events().get(0).eventId());
                Row lastEvent = stored.get(entry.events().get(entry.events().size() - 1).eventId());
                results.add(new AppendResult(entry.streamId(), firstEvent.from() - 1, lastEvent.from(), lastEvent.position()));
            }
        }
        return Outcome.of(List.copyOf(results));
    }
}
