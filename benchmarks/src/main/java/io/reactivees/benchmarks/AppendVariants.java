package io.reactivees.benchmarks;

import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Statement;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code append-variants} (diagnostic, not the library): the same appends (W writers, own stream,
 * exact versions, n events) issued in ways that each change one thing, to price the suggestions in
 * the README by appends/s and client CPU per append:
 * <ol>
 *   <li>{@code store.append} (the library);
 *   <li>the library's exact statement over raw R2DBC, one connection per writer held for the run (no
 *       pool, no usingWhen, no error mapping);
 *   <li>the same statement inside a plpgsql function, called with a short {@code SELECT * FROM f($1..$9)}
 *       (the driver parses a short text per call; the server caches the function's plan).
 * </ol>
 */
final class AppendVariants {

    private AppendVariants() {}

    private static volatile boolean measuring;
    private static volatile boolean stop;

    static void run(Map<String, String> o) {
        int batch = Bench.intOpt(o, "batch", 1);
        List<Integer> writersList = Bench.intList(o, "writers", "1,16");
        double seconds = Bench.doubleOpt(o, "seconds", 10);
        double warmup = Bench.doubleOpt(o, "warmup", 15);
        String sql = captureSql(batch);
        String schema = "\"" + Bench.schema() + "\"";
        String body = sql;
        String[] params = {"p_stream", "p_cat", "p_n", "p_ids", "p_types", "p_data", "p_meta", "p_expected"};
        for (int i = params.length; i >= 1; i--) {
            body = body.replace("$" + i, params[i - 1]);
        }
        String function = "CREATE OR REPLACE FUNCTION " + schema + ".diag_append(p_stream text, p_cat text, p_n bigint, p_ids text[],"
                + " p_types text[], p_data text[], p_meta text[], p_expected bigint)"
                + " RETURNS TABLE (from_version bigint, to_version bigint, pos bigint, tx text)"
                + " LANGUAGE plpgsql AS $f$ #variable_conflict use_column\n BEGIN RETURN QUERY " + body + "; END $f$";
        List<List<String>> rows = new ArrayList<>();
        for (int writers : writersList) {
            for (String variant : List.of("library store.append", "raw R2DBC, same statement, 1 connection per writer",
                    "raw R2DBC, statement in a plpgsql function")) {
                Bench.resetSchema();
                if (variant.contains("plpgsql")) {
                    Bench.sql(function);
                }
                String text = variant.contains("plpgsql") ? "SELECT * FROM " + schema + ".diag_append($1, $2, $3, $4, $5, $6, $7, $8)" : sql;
                double[] r = cell(variant, text, batch, writers, seconds, warmup);
                rows.add(List.of(variant, Integer.toString(batch), Integer.toString(writers), Bench.f("%.0f", r[0]), Bench.f("%.2f", r[1]),
                        Bench.f("%.0f", r[2])));
                System.out.println(Bench.f("RESULT append-variant name=\"%s\" batch=%d writers=%d tps=%.1f p50_ms=%.3f client_cpu_us_per_append=%.1f",
                        variant, batch, writers, r[0], r[1], r[2]));
            }
        }
        Bench.table(List.of("variant (diagnostic, not the library)", "batch", "writers", "appends/s", "p50 ms", "client CPU µs/append"), rows);
    }

    private static String captureSql(int batch) {
        Bench.resetSchema();
        CountingConnectionFactory counting = new CountingConnectionFactory(Bench.connectionFactory());
        PostgresEventStore store = Bench.store(counting, 1, 1, 500, Duration.ofSeconds(1));
        try {
            StreamId stream = StreamId.of("sql", "1");
            store.append(stream, ExpectedVersion.noStream(), Bench.events(batch)).block(Duration.ofSeconds(30));
            List<String> seen = new ArrayList<>();
            counting.statementListener = seen::add;
            store.append(stream, ExpectedVersion.exact(batch), Bench.events(batch)).block(Duration.ofSeconds(30));
            counting.statementListener = null;
            return seen.stream().filter(sql -> sql.contains("INSERT")).findFirst().orElseThrow();
        } finally {
            store.close().block(Duration.ofSeconds(30));
        }
    }

    /** {appends/s, p50 ms, client CPU µs per append}. */
    private static double[] cell(String variant, String sql, int batch, int writers, double seconds, double warmup) {
        boolean library = variant.startsWith("library");
        ConnectionFactory factory = Bench.connectionFactory();
        PostgresEventStore store = library ? Bench.store(factory, writers, writers, 500, Duration.ofSeconds(1)) : null;
        String category = "v" + Long.toString(System.currentTimeMillis(), 36);
        LongAdder counted = new LongAdder();
        List<Bench.Samples> latencies = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            latencies.add(new Bench.Samples());
        }
        measuring = false;
        stop = false;
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            StreamId stream = StreamId.of(category, Integer.toString(w));
            Bench.Samples lat = latencies.get(w);
            long[] version = {0};
            Function<Connection, Mono<Void>> loop = c -> Mono.defer(() -> {
                boolean m = measuring;
                long t0 = System.nanoTime();
                Mono<Long> one;
                if (library) {
                    one = store.append(stream, ExpectedVersion.exact(version[0]), Bench.events(batch)).map(r -> r.toVersion());
                } else {
                    List<EventData> events = Bench.events(batch);
                    Statement s = c.createStatement(sql)
                            .bind(0, stream.toString()).bind(1, stream.category()).bind(2, (long) batch)
                            .bind(3, events.stream().map(e -> e.eventId().toString()).toArray(String[]::new))
                            .bind(4, events.stream().map(EventData::type).toArray(String[]::new))
                            .bind(5, events.stream().map(EventData::dataAsString).toArray(String[]::new))
                            .bind(6, events.stream().map(EventData::metadataAsString).toArray(String[]::new))
                            .bind(7, version[0]);
                    one = Flux.from(s.execute()).concatMap(r -> r.map((row, meta) -> row.get("to_version", Long.class))).next();
                }
                return one.doOnNext(v -> {
                    version[0] = v;
                    if (m && measuring) {
                        counted.increment();
                        lat.add(System.nanoTime() - t0);
                    }
                }).then();
            }).repeat(() -> !stop).then();
            if (library) {
                return loop.apply(null);
            }
            return Mono.usingWhen(Mono.from(factory.create()),
                    c -> Mono.from(c.createStatement("INSERT INTO \"" + Bench.schema() + "\".streams (stream_id, category, version)"
                                    + " VALUES ($1, $2, 0)").bind(0, stream.toString()).bind(1, stream.category()).execute())
                            .flatMap(r -> Mono.from(r.getRowsUpdated()))
                            .then(loop.apply(c)),
                    Connection::close);
        }, writers);
        long[] window = new long[4];
        Thread timer = new Thread(() -> {
            try {
                Thread.sleep((long) (warmup * 1000));
                window[2] = Bench.processCpuNanos();
                window[0] = System.nanoTime();
                measuring = true;
                Thread.sleep((long) (seconds * 1000));
                measuring = false;
                window[1] = System.nanoTime();
                window[3] = Bench.processCpuNanos();
                stop = true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        timer.start();
        all.blockLast(Duration.ofSeconds((long) (warmup + seconds + 120)));
        if (store != null) {
            store.close().block(Duration.ofSeconds(30));
        }
        long[] lat = Bench.Samples.merge(latencies);
        double sec = (window[1] - window[0]) / 1e9;
        return new double[] {counted.sum() / sec, Bench.pct(lat, 0.5),
                counted.sum() == 0 ? Double.NaN : (window[3] - window[2]) / 1e3 / counted.sum()};
    }
}
