package io.reactivees.benchmarks;

import io.reactivees.benchmarks.Bench.Samples;
import io.reactivees.core.ConcurrencyConflictException;
import io.reactivees.core.EventData;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.util.retry.Retry;

/**
 * {@code append}: W writers, each appending batches of n events to its own stream with exact expected
 * versions, sequentially (one append in flight per writer); concurrency is
 * {@code Flux.range(0, W).flatMap(writer, W)}. Warm-up (not counted), then a measured window.
 *
 * <p>{@code append-hot}: W writers on ONE stream; a conflict reloads the stream version
 * ({@code streamVersion}) and retries, as an aggregate repository would.
 *
 * <p>{@code append-contention}: W writers on S shared streams (writer w on stream w mod S), exact
 * expected versions; a conflict takes the stream's actual version from the
 * {@link ConcurrencyConflictException} (no extra query) and retries the same batch, with the SAME
 * event ids. A successful append's latency runs from its first attempt to its success, retries
 * included. At the end, the streams' versions must add up to the events of every successful append.
 */
final class AppendBench {

    private AppendBench() {}

    static void run(Map<String, String> o) {
        int batch = Bench.intOpt(o, "batch", 1);
        List<Integer> writersList = Bench.intList(o, "writers", "1,4,16,64");
        double seconds = Bench.doubleOpt(o, "seconds", 15);
        double warmup = Bench.doubleOpt(o, "warmup", 3);
        int poolOpt = Bench.intOpt(o, "pool", 0); // 0: one connection per writer, like the anchors
        List<List<String>> rows = new ArrayList<>();
        for (int writers : writersList) {
            Map<String, Object> r = cell(batch, writers, seconds, warmup, poolOpt == 0 ? writers : poolOpt);
            rows.add(List.of("library", Integer.toString(batch), Integer.toString(writers), r.get("pool").toString(),
                    Bench.f("%.0f", (Double) r.get("tps")), Bench.f("%.0f", (Double) r.get("events_per_s")),
                    Bench.f("%.2f", (Double) r.get("p50_ms")), Bench.f("%.2f", (Double) r.get("p99_ms")),
                    r.get("errors").toString(), Bench.f("%.2f", (Double) r.get("commits_per_append")),
                    Bench.f("%.0f", (Double) r.get("cpu_us") + (Double) r.get("cpu_sy")), Bench.f("%.0f", (Double) r.get("cpu_id")),
                    Bench.f("%.0f", (Double) r.get("client_cpu_us_per_append")), Bench.f("%.0f", (Double) r.get("server_cpu_us_per_append"))));
        }
        Bench.table(List.of("tool", "batch", "writers", "pool", "appends/s", "events/s", "p50 ms", "p99 ms", "errors",
                "commits/append", "CPU us+sy %", "idle %", "client CPU µs/append", "server CPU µs/append"), rows);
    }

    private static Map<String, Object> cell(int batch, int writers, double seconds, double warmup, int pool) {
        Bench.resetSchema();
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), pool, pool, 500, Duration.ofSeconds(1));
        String category = "w" + Long.toString(System.currentTimeMillis(), 36);
        List<Samples> latencies = Samples.perWriter(writers);
        LongAdder total = new LongAdder();
        LongAdder errors = new LongAdder();
        Window window = new Window(warmup, seconds);
        long c0 = Bench.xactCommit();
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            StreamId stream = StreamId.of(category, Integer.toString(w));
            Samples lat = latencies.get(w);
            long[] version = {0};
            return Mono.defer(() -> {
                        long t0 = System.nanoTime();
                        return store.append(stream, ExpectedVersion.exact(version[0]), Bench.events(batch))
                                .doOnNext(res -> {
                                    lat.add(t0, System.nanoTime() - t0);
                                    version[0] = res.toVersion();
                                    total.increment();
                                })
                                .then()
                                .onErrorResume(e -> {
                                    errors.increment();
                                    if (errors.sum() <= 5) {
                                        e.printStackTrace();
                                    }
                                    return store.streamVersion(stream).defaultIfEmpty(0L).doOnNext(v -> version[0] = v).then();
                                });
                    })
                    .repeat(() -> !window.stopped());
        }, writers);
        window.run(all);
        double[] cpuPct = window.machineCpu();
        store.close().block(Duration.ofSeconds(30)); // closing backends flush their statistics
        try {
            Thread.sleep(1100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long commits = Bench.xactCommit() - c0 - 2; // minus this query's and the previous one's own commits
        long[] all2 = window.latencies(latencies);
        long counted = all2.length;
        double sec = window.seconds();
        double tps = counted / sec;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "library");
        r.put("batch", batch);
        r.put("writers", writers);
        r.put("pool", pool);
        r.put("seconds", sec);
        r.put("appends", counted);
        r.put("tps", tps);
        r.put("events_per_s", tps * batch);
        r.put("p50_ms", Bench.pct(all2, 0.50));
        r.put("p99_ms", Bench.pct(all2, 0.99));
        r.put("max_ms", all2.length == 0 ? Double.NaN : all2[all2.length - 1] / 1e6);
        r.put("errors", errors.sum());
        r.put("commits_per_append", total.sum() == 0 ? 0.0 : (double) commits / total.sum());
        r.put("client_cpu_us_per_append", window.clientCpuMicrosPer(counted));
        r.put("server_cpu_us_per_append", window.serverCpuMicrosPer(counted));
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        r.put("cpu_wa", cpuPct[3]);
        Bench.result("append", r);
        return r;
    }

    static void hot(Map<String, String> o) {
        int batch = Bench.intOpt(o, "batch", 1);
        int writers = Bench.intOpt(o, "writers", 16);
        double seconds = Bench.doubleOpt(o, "seconds", 15);
        double warmup = Bench.doubleOpt(o, "warmup", 3);
        int pool = Bench.intOpt(o, "pool", writers);
        Bench.resetSchema();
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), pool, pool, 500, Duration.ofSeconds(1));
        StreamId stream = StreamId.of("hot", Long.toString(System.currentTimeMillis(), 36));
        LongAdder errors = new LongAdder();
        List<Samples> latencies = Samples.perWriter(writers);
        Window window = new Window(warmup, seconds);
        Window.Counter conflicts = window.counter();
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            Samples lat = latencies.get(w);
            long[] version = {0};
            // one attempt; on a conflict: count it, reload the version, try again
            class Attempt {
                Mono<Void> run() {
                    return Mono.defer(() -> store.append(stream, ExpectedVersion.exact(version[0]), Bench.events(batch)))
                            .doOnNext(res -> version[0] = res.toVersion())
                            .then()
                            .onErrorResume(ConcurrencyConflictException.class, e -> {
                                conflicts.increment();
                                return store.streamVersion(stream).defaultIfEmpty(0L)
                                        .doOnNext(v -> version[0] = v)
                                        .then(Mono.defer(this::run));
                            });
                }
            }
            Attempt attempt = new Attempt();
            return Mono.defer(() -> {
                        long t0 = System.nanoTime();
                        return attempt.run().doOnSuccess(v -> lat.add(t0, System.nanoTime() - t0)).onErrorResume(e -> {
                            errors.increment();
                            if (errors.sum() <= 5) {
                                e.printStackTrace();
                            }
                            return Mono.empty();
                        });
                    })
                    .repeat(() -> !window.stopped());
        }, writers);
        window.run(all);
        double[] cpuPct = window.machineCpu();
        long finalVersion = store.streamVersion(stream).blockOptional().orElse(0L);
        store.close().block(Duration.ofSeconds(30));
        long[] lat = window.latencies(latencies);
        long successes = lat.length;
        double sec = window.seconds();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "library-hot");
        r.put("batch", batch);
        r.put("writers", writers);
        r.put("seconds", sec);
        r.put("appends", successes);
        r.put("tps", successes / sec);
        r.put("events_per_s", successes * batch / sec);
        r.put("conflicts", conflicts.inWindow());
        r.put("conflicts_per_s", conflicts.inWindow() / sec);
        r.put("retries_per_append", successes == 0 ? 0.0 : (double) conflicts.inWindow() / successes);
        r.put("p50_ms", Bench.pct(lat, 0.50));
        r.put("p99_ms", Bench.pct(lat, 0.99));
        r.put("errors", errors.sum());
        r.put("final_version", finalVersion);
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        Bench.result("append-hot", r);
        Bench.table(List.of("tool", "batch", "writers on 1 stream", "successful appends/s", "conflicts/s", "retries per append",
                        "p50 ms (incl. retries)", "p99 ms", "errors", "CPU us+sy %"),
                List.of(List.of("library", Integer.toString(batch), Integer.toString(writers),
                        Bench.f("%.0f", (Double) r.get("tps")), Bench.f("%.0f", (Double) r.get("conflicts_per_s")),
                        Bench.f("%.2f", (Double) r.get("retries_per_append")), Bench.f("%.2f", (Double) r.get("p50_ms")),
                        Bench.f("%.2f", (Double) r.get("p99_ms")), Long.toString(errors.sum()),
                        Bench.f("%.0f", cpuPct[0] + cpuPct[1]))));
    }

    static void contention(Map<String, String> o) {
        int batch = Bench.intOpt(o, "batch", 1);
        int writers = Bench.intOpt(o, "writers", 32);
        int streamCount = Bench.intOpt(o, "streams", 16);
        double seconds = Bench.doubleOpt(o, "seconds", 15);
        double warmup = Bench.doubleOpt(o, "warmup", 3);
        int pool = Bench.intOpt(o, "pool", writers);
        Bench.resetSchema();
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), pool, pool, 500, Duration.ofSeconds(1));
        String category = "c" + Long.toString(System.currentTimeMillis(), 36);
        List<StreamId> streams = new ArrayList<>();
        for (int i = 0; i < streamCount; i++) {
            streams.add(StreamId.of(category, Integer.toString(i)));
        }
        LongAdder allSuccesses = new LongAdder();
        LongAdder errors = new LongAdder();
        List<Samples> latencies = Samples.perWriter(writers);
        Window window = new Window(warmup, seconds);
        Window.Counter retries = window.counter();
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            StreamId stream = streams.get(w % streamCount);
            Samples lat = latencies.get(w);
            long[] version = {0}; // this writer's view of its stream's version
            return Mono.defer(() -> {
                        long t0 = System.nanoTime();
                        List<EventData> events = Bench.events(batch); // one batch, one set of ids, for every attempt
                        return Mono.defer(() -> store.append(stream, ExpectedVersion.exact(version[0]), events))
                                .retryWhen(Retry.indefinitely()
                                        .filter(ConcurrencyConflictException.class::isInstance)
                                        .doBeforeRetry(signal -> {
                                            version[0] = ((ConcurrencyConflictException) signal.failure()).actualVersion();
                                            retries.increment();
                                        }))
                                .doOnNext(result -> {
                                    version[0] = result.toVersion();
                                    allSuccesses.increment();
                                    lat.add(t0, System.nanoTime() - t0);
                                })
                                .then()
                                .onErrorResume(e -> {
                                    errors.increment();
                                    if (errors.sum() <= 5) {
                                        e.printStackTrace();
                                    }
                                    return store.streamVersion(stream).defaultIfEmpty(0L).doOnNext(v -> version[0] = v).then();
                                });
                    })
                    .repeat(() -> !window.stopped());
        }, writers);
        window.run(all);
        double[] cpuPct = window.machineCpu();
        long stored = Flux.fromIterable(streams)
                .concatMap(stream -> store.streamVersion(stream).defaultIfEmpty(0L))
                .reduce(0L, Long::sum)
                .block(Duration.ofSeconds(30));
        store.close().block(Duration.ofSeconds(30));
        long[] lat = window.latencies(latencies);
        long successes = lat.length;
        double sec = window.seconds();
        long expected = allSuccesses.sum() * batch;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "library-contention");
        r.put("batch", batch);
        r.put("writers", writers);
        r.put("streams", streamCount);
        r.put("seconds", sec);
        r.put("appends", successes);
        r.put("tps", successes / sec);
        r.put("events_per_s", successes * batch / sec);
        r.put("retries", retries.inWindow());
        r.put("retries_per_s", retries.inWindow() / sec);
        r.put("retries_per_append", successes == 0 ? 0.0 : (double) retries.inWindow() / successes);
        r.put("p50_ms", Bench.pct(lat, 0.50));
        r.put("p99_ms", Bench.pct(lat, 0.99));
        r.put("max_ms", lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6);
        r.put("errors", errors.sum());
        r.put("events_stored", stored);
        r.put("events_acknowledged", expected);
        r.put("consistent", stored == expected);
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        Bench.result("append-contention", r);
        if (stored != expected) {
            System.out.println(Bench.f("WARNING: the streams hold %d events, but %d were acknowledged", stored, expected));
        }
        Bench.table(List.of("tool", "batch", "writers", "streams", "successful appends/s", "retries/s", "retries per append",
                        "p50 ms (incl. retries)", "p99 ms", "errors", "stored = acknowledged", "CPU us+sy %"),
                List.of(List.of("library", Integer.toString(batch), Integer.toString(writers), Integer.toString(streamCount),
                        Bench.f("%.0f", (Double) r.get("tps")), Bench.f("%.0f", (Double) r.get("retries_per_s")),
                        Bench.f("%.2f", (Double) r.get("retries_per_append")), Bench.f("%.2f", (Double) r.get("p50_ms")),
                        Bench.f("%.2f", (Double) r.get("p99_ms")), Long.toString(errors.sum()),
                        stored == expected ? "yes (" + stored + ")" : "NO: " + stored + " stored, " + expected + " acknowledged",
                        Bench.f("%.0f", cpuPct[0] + cpuPct[1]))));
    }
}
