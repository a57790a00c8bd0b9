package io.reactivees.benchmarks;

import io.reactivees.benchmarks.Bench.Samples;
import io.reactivees.core.aggregate.AggregateRepository;
import io.reactivees.core.aggregate.AggregateType;
import io.reactivees.core.aggregate.Command;
import io.reactivees.core.aggregate.CommandResult;
import io.reactivees.core.aggregate.RetryPolicy;
import io.reactivees.core.serialization.EventSerializer;
import io.reactivees.core.serialization.EventType;
import io.reactivees.core.serialization.EventTypeRegistry;
import io.reactivees.core.serialization.JacksonEventSerializer;
import io.reactivees.core.snapshot.SnapshotPolicy;
import io.reactivees.core.snapshot.Snapshotter;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresSnapshotStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code append-hot-aggregate}: W writers running commands on ONE aggregate (a counter) through
 * {@link AggregateRepository}, each command adding one event, with a snapshot every 100 events so
 * that a load reads at most 100 events. {@code --in-turn true} (the repository's default) runs the
 * commands in turn; {@code --in-turn false} lets them race, under {@code --retry default} (the
 * repository's default policy: 10 attempts, backoff 5-500 ms) or {@code --retry eager} (100 attempts,
 * no backoff, as {@code append-hot} retries). A command's latency runs from its subscription to its
 * answer, its wait for its turn and its retries included; a command that fails (conflicts past the
 * policy) is counted as an error. At the end, the counter must equal the successful commands.
 */
final class HotAggregateBench {

    private HotAggregateBench() {}

    @EventType("bench.added")
    record Added(long amount) {}

    private static final AggregateType<Long, Added> COUNTER = AggregateType.of("hotagg", Added.class, 0L, (total, added) -> total + added.amount());
    private static final EventSerializer SERIALIZER = JacksonEventSerializer.withDefaultMapper(EventTypeRegistry.of(Added.class));
    private static final Command<Long, Added> ADD_ONE = Command.of(total -> List.of(new Added(1)));

    static void run(Map<String, String> o) {
        int writers = Bench.intOpt(o, "writers", 16);
        double seconds = Bench.doubleOpt(o, "seconds", 15);
        double warmup = Bench.doubleOpt(o, "warmup", 3);
        boolean inTurn = Boolean.parseBoolean(o.getOrDefault("in-turn", "true"));
        String retry = o.getOrDefault("retry", "default");
        RetryPolicy policy = switch (retry) {
            case "default" -> RetryPolicy.defaults();
            case "eager" -> new RetryPolicy(100, Duration.ZERO, Duration.ZERO, 0);
            default -> throw new IllegalArgumentException("--retry default|eager: " + retry);
        };
        int pool = Bench.intOpt(o, "pool", writers);
        Bench.resetSchema();
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), pool, pool, 500, Duration.ofSeconds(1));
        Snapshotter<Long> snapshots = Snapshotter.builder(PostgresSnapshotStore.of(store), "counter", JsonMapper.builder().build(), Long.class)
                .policy(SnapshotPolicy.everyEvents(100))
                .build();
        AggregateRepository<Long, Added> counters = AggregateRepository.builder(store, SERIALIZER, COUNTER)
                .retryPolicy(policy)
                .snapshots(snapshots)
                .serializeCommandsPerAggregate(inTurn)
                .build();
        String id = Long.toString(System.currentTimeMillis(), 36);
        LongAdder errors = new LongAdder();
        LongAdder successes = new LongAdder();
        List<Samples> latencies = Samples.perWriter(writers);
        Window window = new Window(warmup, seconds);
        Window.Counter retries = window.counter();
        Flux<Void> all = Flux.range(0, writers).flatMap(w -> {
            Samples lat = latencies.get(w);
            return Mono.defer(() -> {
                        long t0 = System.nanoTime();
                        return counters.execute(id, ADD_ONE)
                                .doOnNext(result -> {
                                    successes.increment();
                                    lat.add(t0, System.nanoTime() - t0);
                                    retries.add(result.attempts() - 1L);
                                })
                                .then()
                                .onErrorResume(e -> {
                                    errors.increment();
                                    if (errors.sum() <= 3) {
                                        System.err.println("command failed: " + e);
                                    }
                                    return Mono.empty();
                                });
                    })
                    .repeat(() -> !window.stopped());
        }, writers);
        window.run(all);
        double[] cpuPct = window.machineCpu();
        CommandResult<Long, Added> probe = counters.execute(id, Command.of(total -> List.of())).block(Duration.ofSeconds(30));
        store.close().block(Duration.ofSeconds(30));
        long[] lat = window.latencies(latencies);
        double sec = window.seconds();
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", inTurn ? "library-aggregate-in-turn" : "library-aggregate-racing-" + retry);
        r.put("writers", writers);
        r.put("seconds", sec);
        r.put("commands", lat.length);
        r.put("tps", lat.length / sec);
        r.put("retries_per_command", lat.length == 0 ? 0.0 : (double) retries.inWindow() / lat.length);
        r.put("p50_ms", Bench.pct(lat, 0.50));
        r.put("p99_ms", Bench.pct(lat, 0.99));
        r.put("max_ms", lat.length == 0 ? Double.NaN : lat[lat.length - 1] / 1e6);
        r.put("errors", errors.sum());
        r.put("counter", probe.state());
        r.put("succeeded", successes.sum());
        r.put("consistent", probe.state() == successes.sum());
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        Bench.result("append-hot-aggregate", r);
        if (probe.state() != successes.sum()) {
            System.out.println(Bench.f("WARNING: the counter is %d, but %d commands succeeded", probe.state(), successes.sum()));
        }
        Bench.table(List.of("tool", "writers on 1 aggregate", "successful commands/s", "retries per command",
                        "p50 ms (incl. wait and retries)", "p99 ms", "max ms", "failed commands", "counter = successes", "CPU us+sy %"),
                List.of(List.of(r.get("tool").toString(), Integer.toString(writers), Bench.f("%.0f", (Double) r.get("tps")),
                        Bench.f("%.2f", (Double) r.get("retries_per_command")), Bench.f("%.2f", (Double) r.get("p50_ms")),
                        Bench.f("%.2f", (Double) r.get("p99_ms")), Bench.f("%.1f", (Double) r.get("max_ms")),
                        Long.toString(errors.sum()), Boolean.toString(probe.state() == successes.sum()),
                        Bench.f("%.0f", cpuPct[0] + cpuPct[1]))));
    }
}
