package io.reactivees.benchmarks;

import io.reactivees.core.EventFilter;
import io.reactivees.core.EventQuery;
import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * {@code tail}: N live subscriptions ({@code subscribe(EventQuery.of(forCategory("tail")))}) on one
 * store, a writer on a second store appending one event at a steady rate to one stream. For every
 * event and every subscriber: delivery time minus the time just before the append was issued, and
 * minus the time the append completed. The reading store's connection factory is wrapped to count
 * the statements it creates and the notifications its LISTEN connection receives.
 */
final class TailBench {

    private TailBench() {}

    static void run(Map<String, String> o) {
        List<Integer> subscriberCounts = Bench.intList(o, "subscribers", "1,1000");
        double rate = Bench.doubleOpt(o, "rate", 100);
        double seconds = Bench.doubleOpt(o, "seconds", 20);
        double warmup = Bench.doubleOpt(o, "warmup", 5);
        long pollMs = Bench.longOpt(o, "poll-ms", 1000);
        List<List<String>> rows = new ArrayList<>();
        for (int n : subscriberCounts) {
            Map<String, Object> r = cell(n, rate, seconds, warmup, pollMs);
            rows.add(List.of(Integer.toString(n), Bench.f("%.0f", rate), r.get("appends").toString(), r.get("deliveries").toString(),
                    r.get("missing").toString(),
                    Bench.f("%.2f / %.2f / %.2f", r.get("p50_ms"), r.get("p99_ms"), r.get("max_ms")),
                    Bench.f("%.2f / %.2f", r.get("p50_after_ms"), r.get("p99_after_ms")),
                    r.get("notifications").toString(), r.get("feed_queries").toString(), r.get("subscription_queries").toString(),
                    Bench.f("%.2f", r.get("feed_queries_per_wakeup")), Bench.f("%.2f", r.get("statements_per_wakeup")),
                    r.get("db_events_scans_total") + " / " + r.get("inproc_events_queries_total"),
                    Bench.f("%.0f", (Double) r.get("cpu_us") + (Double) r.get("cpu_sy"))));
        }
        Bench.table(List.of("subscribers", "appends/s", "appends measured", "deliveries", "missing",
                "commit→delivery p50 / p99 / max ms (from before append)", "p50 / p99 ms (from append completion)",
                "notifications", "feed queries", "subscription queries", "feed queries per wake-up",
                "all reader statements per wake-up", "DB scans of events / in-process count (whole run)", "CPU us+sy %"), rows);
    }

    private static Map<String, Object> cell(int subscribers, double rate, double seconds, double warmup, long pollMs) {
        Bench.resetSchema();
        String eventsTable = Bench.schema() + ".events";
        long scans0 = Bench.queryLong("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                + " WHERE schemaname = '" + Bench.schema() + "' AND relname = 'events'");
        PostgresEventStore writer = Bench.store(Bench.connectionFactory(), 1, 2, 500, Duration.ofSeconds(1));
        CountingConnectionFactory counting = new CountingConnectionFactory(Bench.connectionFactory());
        PostgresEventStore reader = Bench.store(counting, 1, 10, 500, Duration.ofMillis(pollMs));
        StreamId stream = StreamId.of("tail", "1");
        int capacity = (int) (rate * (warmup + seconds) * 1.2) + 100;
        long[] sentBefore = new long[capacity + 1];
        long[] sentAfter = new long[capacity + 1];
        long[][] delivered = new long[subscribers][capacity + 1];
        LongAdder errors = new LongAdder();
        LongAdder firstSeen = new LongAdder();
        List<Disposable> subs = new ArrayList<>();
        for (int i = 0; i < subscribers; i++) {
            long[] mine = delivered[i];
            subs.add(reader.subscribe(EventQuery.of(EventFilter.forCategory("tail"))).subscribe(e -> {
                int v = (int) e.streamVersion();
                if (v < mine.length) {
                    if (v == 1) {
                        firstSeen.increment();
                    }
                    mine[v] = System.nanoTime();
                }
            }, e -> {
                errors.increment();
                e.printStackTrace();
            }));
        }
        // Version 1 tells us when every subscription is live (or at least caught up).
        writer.append(stream, ExpectedVersion.noStream(), List.of(Bench.event())).block(Duration.ofSeconds(30));
        long waitStart = System.nanoTime();
        while (firstSeen.sum() < subscribers && System.nanoTime() - waitStart < 120_000_000_000L) {
            sleep(10);
        }
        System.out.println(Bench.f("%d subscriptions saw the first event after %.2f s", firstSeen.sum(), (System.nanoTime() - waitStart) / 1e9));

        long periodNanos = (long) (1e9 / rate);
        long total = (long) (rate * (warmup + seconds));
        long[] next = {2};
        Flux<Long> appends = Flux.interval(Duration.ofNanos(periodNanos), Schedulers.single())
                .onBackpressureDrop()
                .take(total)
                .concatMap(tick -> Mono.defer(() -> {
                    int v = (int) next[0]++;
                    sentBefore[v] = System.nanoTime();
                    return writer.append(stream, ExpectedVersion.exact(v - 1L), List.of(Bench.event()))
                            .doOnNext(res -> sentAfter[v] = System.nanoTime())
                            .map(res -> res.toVersion());
                }), 1);
        long[] snap = new long[8];
        long[] window = new long[2];
        long[] versions = new long[2];
        Bench.Cpu[] cpu = new Bench.Cpu[1];
        Thread timer = new Thread(() -> {
            sleep((long) (warmup * 1000));
            versions[0] = next[0];
            snap[0] = counting.feedQueries.sum();
            snap[1] = counting.subscriptionQueries.sum();
            snap[2] = counting.notifications.sum();
            snap[3] = counting.totalStatements();
            cpu[0] = new Bench.Cpu();
            window[0] = System.nanoTime();
            sleep((long) (seconds * 1000));
            window[1] = System.nanoTime();
            versions[1] = next[0];
            snap[4] = counting.feedQueries.sum();
            snap[5] = counting.subscriptionQueries.sum();
            snap[6] = counting.notifications.sum();
            snap[7] = counting.totalStatements();
        });
        timer.start();
        appends.blockLast(Duration.ofSeconds((long) (warmup + seconds + 120)));
        double[] cpuPct = cpu[0] == null ? new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN} : cpu[0].since();
        try {
            timer.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        sleep(2000); // let the last events arrive
        subs.forEach(Disposable::dispose);
        long inprocEventsQueries = counting.feedQueries.sum() + counting.subscriptionQueries.sum();
        reader.close().block(Duration.ofSeconds(30));
        writer.close().block(Duration.ofSeconds(30));
        sleep(1500); // closed backends flush their statistics
        long scans = Bench.queryLong("SELECT coalesce(seq_scan, 0) + coalesce(idx_scan, 0) FROM pg_stat_user_tables"
                + " WHERE schemaname = '" + Bench.schema() + "' AND relname = 'events'") - scans0;

        // Latencies of the events appended inside the measured window, at every subscriber.
        int from = (int) versions[0];
        int to = (int) Math.min(versions[1], next[0]) - 1;
        int appendsMeasured = Math.max(0, to - from + 1);
        long[] before = new long[appendsMeasured * subscribers];
        long[] after = new long[appendsMeasured * subscribers];
        int k = 0;
        long missing = 0;
        for (int i = 0; i < subscribers; i++) {
            for (int v = from; v <= to; v++) {
                long d = delivered[i][v];
                if (d == 0 || sentBefore[v] == 0) {
                    missing++;
                    continue;
                }
                before[k] = d - sentBefore[v];
                after[k] = sentAfter[v] == 0 ? 0 : d - sentAfter[v];
                k++;
            }
        }
        before = Arrays.copyOf(before, k);
        after = Arrays.copyOf(after, k);
        Arrays.sort(before);
        Arrays.sort(after);
        double sec = (window[1] - window[0]) / 1e9;
        long feed = snap[4] - snap[0];
        long subQ = snap[5] - snap[1];
        long notes = snap[6] - snap[2];
        long allStatements = snap[7] - snap[3];
        long pollTicks = (long) (sec * 1000 / pollMs);
        long wakeups = notes + pollTicks;
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("tool", "library-tail");
        r.put("subscribers", subscribers);
        r.put("rate", rate);
        r.put("seconds", sec);
        r.put("appends", appendsMeasured);
        r.put("deliveries", k);
        r.put("missing", missing);
        r.put("p50_ms", Bench.pct(before, 0.50));
        r.put("p99_ms", Bench.pct(before, 0.99));
        r.put("max_ms", before.length == 0 ? Double.NaN : before[before.length - 1] / 1e6);
        r.put("p50_after_ms", Bench.pct(after, 0.50));
        r.put("p99_after_ms", Bench.pct(after, 0.99));
        r.put("notifications", notes);
        r.put("poll_ticks", pollTicks);
        r.put("feed_queries", feed);
        r.put("subscription_queries", subQ);
        r.put("reader_statements", allStatements);
        r.put("feed_queries_per_wakeup", wakeups == 0 ? Double.NaN : (double) feed / wakeups);
        r.put("statements_per_wakeup", wakeups == 0 ? Double.NaN : (double) allStatements / wakeups);
        r.put("feed_queries_per_append", appendsMeasured == 0 ? Double.NaN : (double) feed / appendsMeasured);
        r.put("db_events_scans_total", scans);
        r.put("inproc_events_queries_total", inprocEventsQueries);
        r.put("errors", errors.sum());
        r.put("cpu_us", cpuPct[0]);
        r.put("cpu_sy", cpuPct[1]);
        r.put("cpu_id", cpuPct[2]);
        Bench.result("tail", r);
        System.out.println("(events table: " + eventsTable + ")");
        return r;
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
