package io.reactivees.benchmarks;

import io.reactivees.benchmarks.Bench.Samples;
import io.reactivees.core.AppendCondition;
import io.reactivees.core.AppendConditionFailedException;
import io.reactivees.core.EventData;
import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.Position;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code append-conditional}: W deciders, each appending batches of n events tagged {@code slot:w}
 * to its own stream ({@code ExpectedVersion.any()}) under the condition "no event tagged
 * {@code slot:w} after the position of my last append", one append in flight per decider: the
 * dynamic consistency boundary's append, one call of {@code append_if} in a transaction of its own,
 * beside the {@code append} cell's plain appends. The deciders' tags are disjoint, so none should
 * wait for another and no condition should fail; {@code --shared-tag true} gives them one tag
 * instead, so they serialise and most conditions fail (each failure re-reads the position by
 * taking the one the exception names).
 */
final class ConditionalAppendBench {

    private ConditionalAppendBench() {}

    static void run(Map<String, String> o) {
        int batch = Bench.intOpt(o, "batch", 1);
        int writers = Bench.intOpt(o, "writers", 16);
        double seconds = Bench.doubleOpt(o, "seconds", 15);
        double warmup = Bench.doubleOpt(o, "warmup", 3);
        int pool = Bench.intOpt(o, "pool", writers);
        boolean shared = Boolean.parseBoolean(o.getOrDefault("shared-tag", "false"));
        Bench.resetSchema();
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), pool, pool, 500, Duration.ofSeconds(1));
        String category = "d" + Long.toString(System.currentTimeMillis(), 36);
        LongAdder errors = new LongAdder();
        List<Samples> latencies = Samples.perWriter(writers);
        Window window = new Window(warmup, seconds);
        Window.Counter failedConditions = window.counter();
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            StreamId stream = StreamId.of(category, Integer.toString(w));
            String tag = "slot:" + (shared ? 0 : w);
            EventQuery query = EventQuery.of(EventFilter.forTags(tag));
            Samples lat = latencies.get(w);
            Position[] read = {Position.START}; // the position this decider has seen up to
            return Mono.defer(() -> {
                        long t0 = System.nanoTime();
                        List<EventData> events = Bench.events(batch).stream().map(e -> e.withTags(tag)).toList();
                        return store.append(stream, ExpectedVersion.any(), events, AppendCondition.failIfEventsMatch(query).after(read[0]))
                                .doOnNext(result -> {
                                    read[0] = result.position();
                                    lat.add(t0, System.nanoTime() - t0);
                                })
                                .then()
                                .onErrorResume(AppendConditionFailedException.class, e -> {
                                    read[0] = e.matchedAt(); // a decider would read again; this one skips to the match
                                    failedConditions.increment();
                                    return Mono.empty();
                                })
                                .onErrorResume(e -> {
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
        store.close().block(Duration.ofSeconds(30));
        long[] lat = window.latencies(latencies);
        long successes = lat.length;
        double sec = window.seconds();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "library-conditional");
        r.put("batch", batch);
        r.put("writers", writers);
        r.put("shared_tag", shared);
        r.put("seconds", sec);
        r.put("appends", successes);
        r.put("tps", successes / sec);
        r.put("events_per_s", successes * batch / sec);
        r.put("failed_conditions", failedConditions.inWindow());
        r.put("failed_conditions_per_s", failedConditions.inWindow() / sec);
        r.put("p50_ms", Bench.pct(lat, 0.50));
        r.put("p99_ms", Bench.pct(lat, 0.99));
        r.put("errors", errors.sum());
        r.put("client_cpu_us_per_append", window.clientCpuMicrosPer(successes));
        r.put("server_cpu_us_per_append", window.serverCpuMicrosPer(successes));
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        Bench.result("append-conditional", r);
        Bench.table(List.of("tool", "batch", "deciders", "tags", "conditional appends/s", "failed conditions/s", "p50 ms", "p99 ms",
                        "errors", "client CPU µs/append", "server CPU µs/append", "CPU us+sy %"),
                List.of(List.of("library", Integer.toString(batch), Integer.toString(writers), shared ? "one shared" : "disjoint",
                        Bench.f("%.0f", (Double) r.get("tps")), Bench.f("%.0f", (Double) r.get("failed_conditions_per_s")),
                        Bench.f("%.2f", (Double) r.get("p50_ms")), Bench.f("%.2f", (Double) r.get("p99_ms")), Long.toString(errors.sum()),
                        Bench.f("%.0f", (Double) r.get("client_cpu_us_per_append")),
                        Bench.f("%.0f", (Double) r.get("server_cpu_us_per_append")), Bench.f("%.0f", cpuPct[0] + cpuPct[1]))));
    }
}
