package io.reactivees.benchmarks;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.postgresql.codec.Json;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.Readable;
import io.reactivees.core.Position;
import io.reactivees.core.RecordedEvent;
import io.reactivees.core.StreamId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code load-variants} (diagnostic, not the library): reads the table {@code load} filled, with the
 * library's keyset-paging SQL issued directly over R2DBC, one page per query on one connection, each
 * row mapped to the same {@link RecordedEvent}, in variants that each change one thing. It tells how
 * much each suggested change to {@code EventRows}/{@code PostgresEventStore.load} would buy.
 */
final class LoadVariants {

    private LoadVariants() {}

    private static final String COLUMNS = "event_id, stream_id, stream_version, transaction_id::text AS tx, global_position,"
            + " event_type, data, metadata, recorded_at";
    private static final String COLUMNS_EPOCH = "event_id, stream_id, stream_version, transaction_id::text AS tx, global_position,"
            + " event_type, data, metadata, (extract(epoch FROM recorded_at) * 1000000)::int8 AS recorded_us";

    /** The library's first mapping: by column name, timestamptz decoded to Instant. */
    static RecordedEvent byName(Readable row) {
        return new RecordedEvent(
                row.get("event_id", UUID.class),
                StreamId.parse(row.get("stream_id", String.class)),
                row.get("stream_version", Long.class),
                new Position(Long.parseLong(row.get("tx", String.class)), row.get("global_position", Long.class)),
                row.get("event_type", String.class),
                row.get("data", Json.class).asArray(),
                row.get("metadata", Json.class).asArray(),
                row.get("recorded_at", Instant.class));
    }

    static RecordedEvent byIndex(Readable row) {
        return new RecordedEvent(
                row.get(0, UUID.class),
                StreamId.parse(row.get(1, String.class)),
                row.get(2, Long.class),
                new Position(Long.parseLong(row.get(3, String.class)), row.get(4, Long.class)),
                row.get(5, String.class),
                row.get(6, Json.class).asArray(),
                row.get(7, Json.class).asArray(),
                row.get(8, Instant.class));
    }

    static RecordedEvent byIndexEpoch(Readable row) {
        long us = row.get(8, Long.class);
        return new RecordedEvent(
                row.get(0, UUID.class),
                StreamId.parse(row.get(1, String.class)),
                row.get(2, Long.class),
                new Position(Long.parseLong(row.get(3, String.class)), row.get(4, Long.class)),
                row.get(5, String.class),
                row.get(6, Json.class).asArray(),
                row.get(7, Json.class).asArray(),
                Instant.ofEpochSecond(Math.floorDiv(us, 1_000_000L), Math.floorMod(us, 1_000_000L) * 1000L));
    }

    record Variant(String name, boolean forceBinary, String columns, Function<Readable, RecordedEvent> mapper, int pageSize) {}

    static void run(Map<String, String> o) {
        int reps = Bench.intOpt(o, "reps", 2);
        List<Variant> variants = List.of(
                new Variant("by name, text results, page 500 (the library's first mapping)", false, COLUMNS, LoadVariants::byName, 500),
                new Variant("columns by index", false, COLUMNS, LoadVariants::byIndex, 500),
                new Variant("by index + recorded_at as epoch micros (int8)", false, COLUMNS_EPOCH, LoadVariants::byIndexEpoch, 500),
                new Variant("by index + binary results (forceBinary)", true, COLUMNS, LoadVariants::byIndex, 500),
                new Variant("by index + epoch micros + page 2000", false, COLUMNS_EPOCH, LoadVariants::byIndexEpoch, 2000));
        List<List<String>> rows = new ArrayList<>();
        for (Variant v : variants) {
            for (int rep = 0; rep <= reps; rep++) {
                double[] r = pass(v);
                if (rep == 0) {
                    continue; // warm-up
                }
                rows.add(List.of(v.name(), Integer.toString(rep), Bench.f("%.0f", r[0]), Bench.f("%.2f", r[1]), Bench.f("%.0f", r[0] / r[1]),
                        Bench.f("%.2f", r[2])));
                System.out.println(Bench.f("RESULT load-variant name=\"%s\" rep=%d events=%.0f seconds=%.3f events_per_s=%.0f client_cpu_us_per_event=%.3f",
                        v.name(), rep, r[0], r[1], r[0] / r[1], r[2]));
            }
        }
        Bench.table(List.of("variant (diagnostic reader, not the library)", "rep", "events", "seconds", "events/s", "client CPU µs/event"), rows);
    }

    private static double[] pass(Variant v) {
        PostgresqlConnectionFactory factory = new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(Bench.env("PGHOST", "127.0.0.1"))
                .port(Integer.parseInt(Bench.env("PGPORT", "5432")))
                .username(Bench.env("PGUSER", "bench"))
                .password(Bench.env("PGPASSWORD", "bench"))
                .database(Bench.env("LIB_DB", "reactivees_bench"))
                .forceBinary(v.forceBinary())
                .build());
        String table = "\"" + Bench.schema() + "\".\"events\"";
        String sql = "SELECT " + v.columns() + " FROM " + table
                + " WHERE transaction_id < $1::xid8 AND (transaction_id, global_position) > ($2::xid8, $3)"
                + " ORDER BY transaction_id, global_position LIMIT $4";
        long[] acc = new long[2];
        long cpu0 = Bench.processCpuNanos();
        long t0 = System.nanoTime();
        Mono.usingWhen(factory.create(), c -> Flux.from(c.createStatement("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").execute())
                .concatMap(r -> r.map((row, m) -> row.get(0, String.class)))
                .next()
                .flatMap(horizon -> page(c, sql, horizon, Position.START, v)
                        .expand(p -> p.size() < v.pageSize() ? Mono.empty() : page(c, sql, horizon, p.get(p.size() - 1).position(), v))
                        .doOnNext(p -> {
                            for (RecordedEvent e : p) {
                                acc[0]++;
                                acc[1] += e.streamVersion() + e.position().sequence() + e.type().length()
                                        + e.recordedAt().getNano() + e.streamId().id().length() + e.eventId().hashCode();
                            }
                        })
                        .then()),
                Connection::close).block(Duration.ofHours(1));
        double sec = (System.nanoTime() - t0) / 1e9;
        double cpu = (Bench.processCpuNanos() - cpu0) / 1e3 / Math.max(1, acc[0]);
        return new double[] {acc[0], sec, cpu};
    }

    private static Mono<List<RecordedEvent>> page(Connection c, String sql, String horizon, Position after, Variant v) {
        return Flux.from(c.createStatement(sql)
                        .bind(0, horizon)
                        .bind(1, Long.toString(after.commit()))
                        .bind(2, after.sequence())
                        .bind(3, v.pageSize())
                        .execute())
                .concatMap(r -> r.map((row, m) -> v.mapper().apply(row)))
                .collectList();
    }
}
