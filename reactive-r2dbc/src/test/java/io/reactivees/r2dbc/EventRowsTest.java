package io.reactivees.r2dbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Readable;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The mapping of an event row, on rows made by hand in the shape of {@link EventRows#COLUMNS}. */
class EventRowsTest {

    private static final UUID ID = UUID.fromString("0b0e7e8a-4a8e-4f43-8a0e-6a9f3c1f0d11");

    /** A row of {@link EventRows#COLUMNS} from index {@code first} on, as the driver decodes it. */
    private static Readable row(int first, String streamId, long version, long tx, long sequence) {
        List<Object> values = List.of(ID, streamId, version, tx, sequence, "opened",
                Json.of("{\"a\":1}".getBytes(StandardCharsets.UTF_8)), Json.of("{}"),
                LocalDateTime.parse("2024-05-01T10:15:30.123456"), new String[] {"seat:1", "show:2", "seat:1"});
        return new Readable() {
            @Override
            public <T> T get(int index, Class<T> type) {
                return type.cast(values.get(index - first));
            }

            @Override
            public <T> T get(String name, Class<T> type) {
                throw new UnsupportedOperationException("rows are read by index");
            }
        };
    }

    @Test
    void aRowBecomesTheEventItHolds() {
        RecordedEvent event = new EventRows.Decoder().toEvent(row(0, "account-1-a", 3, 77, 12));

        assertEquals(new RecordedEvent(ID, StreamId.of("account", "1-a"), 3, Position.of(77, 12), "opened",
                "{\"a\":1}".getBytes(StandardCharsets.UTF_8), "{}".getBytes(StandardCharsets.UTF_8),
                Instant.parse("2024-05-01T10:15:30.123456Z"), Set.of("seat:1", "show:2")), event);
    }

    @Test
    void columnsAreReadFromTheGivenIndexOn() {
        assertEquals(Position.of(5, 6), new EventRows.Decoder().toEvent(row(1, "account-1", 1, 5, 6), 1).position());
    }

    @Test
    void aStreamIdSeenBeforeIsParsedOnce() {
        EventRows.Decoder decoder = new EventRows.Decoder();

        StreamId first = decoder.toEvent(row(0, "account-1", 1, 1, 1)).streamId();
        StreamId again = decoder.toEvent(row(0, "account-1", 2, 1, 2)).streamId();

        assertSame(first, again);
    }

    @Test
    void manyStreamsStillMapToTheirOwnIds() {
        EventRows.Decoder decoder = new EventRows.Decoder();

        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < 3000; i++) { // more than the decoder remembers
                assertEquals(StreamId.of("account", Integer.toString(i)),
                        decoder.toEvent(row(0, "account-" + i, 1, 1, i + 1)).streamId());
            }
        }
    }
}
