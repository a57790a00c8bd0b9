package io.reactivees.r2dbc;

import static io.reactivees.r2dbc.PgTestSupport.TIMEOUT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.reactivees.core.EventData;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.ReadOptions;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PgTestSupport.RawSession;
import io.reactivees.r2dbc.PgTestSupport.StoreOnSchema;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The time an event was recorded reads back as the instant PostgreSQL stored, to the microsecond,
 * whatever the session's time zone and whether results come as text or binary: the reads ask for
 * it in UTC, so no zone of the session or of the JVM takes part.
 */
class RecordedAtIT {

    @ParameterizedTest(name = "TimeZone={0}, binary results={1}")
    @CsvSource({"UTC, true", "Pacific/Chatham, true", "America/St_Johns, false", "Asia/Kathmandu, false"})
    void recordedAtIsTheStoredInstantInEveryRead(String sessionZone, boolean binary) {
        ConnectionFactoryOptions url = ConnectionFactoryOptions.parse(PostgresTestDatabase.url()).mutate()
                .option(PostgresqlConnectionFactoryProvider.OPTIONS, Map.of("TimeZone", sessionZone))
                .option(PostgresqlConnectionFactoryProvider.FORCE_BINARY, binary)
                .build();
        ConnectionFactory factory = ConnectionFactories.get(url);
        try (StoreOnSchema on = PgTestSupport.newStore(factory, options -> options.pageSize(2));
             RawSession raw = new RawSession()) {
            StreamId stream = StreamId.of("clock", "1");
            on.store.append(stream, ExpectedVersion.noStream(), List.of(
                    EventData.of("tick", "1"), EventData.of("tick", "2"), EventData.of("tick", "3"))).block(TIMEOUT);

            List<RecordedEvent> loaded = on.loadAll();
            List<RecordedEvent> read = on.store.readStream(stream, ReadOptions.forwards()).collectList().block(TIMEOUT);
            List<RecordedEvent> followed = on.store.subscribe(EventQuery.all()).take(3).collectList().block(TIMEOUT);

            for (List<RecordedEvent> events : List.of(loaded, read, followed)) {
                assertEquals(3, events.size());
                for (RecordedEvent event : events) {
                    long micros = (Long) raw.value("SELECT (extract(epoch FROM recorded_at) * 1000000)::int8 AS us FROM "
                            + on.table("events") + " WHERE event_id = $1::uuid", event.eventId().toString());
                    Instant stored = Instant.EPOCH.plusNanos(micros * 1000);
                    assertEquals(stored, event.recordedAt(), "session zone " + sessionZone);
                }
            }
        }
    }
}
