package io.reactivees.benchmarks;

import io.reactivees.core.EventQuery;
import io.reactivees.core.RecordedEvent;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code load}: fills the library's schema with N events (1,000 streams of 1,000 events per million,
 * by {@code INSERT ... SELECT generate_series} in transactions of 100,000 rows, valid rows and
 * streams), then times {@code store.load(EventQuery.all())} drained to the end, every row decoded to a
 * {@link RecordedEvent}. One unmeasured pass first (JIT, page cache), like the anchors.
 */
final class LoadBench {

    private LoadBench() {}

    static final int STREAM_SIZE = 1000;
    static final long CHUNK = 100_000;

    static void run(Map<String, String> o) {
        long events = Bench.longOpt(o, "events", 1_000_000);
        int reps = Bench.intOpt(o, "reps", 3);
        int pageSize = Bench.intOpt(o, "page-size", PostgresEventStoreOptions.defaults().pageSize());
        String populate = o.getOrDefault("populate", "auto");
        String label = o.getOrDefault("label", "library-load");
        boolean warmPass = Boolean.parseBoolean(o.getOrDefault("warm-pass", "true"));
        if (populate.equals("always") || (populate.equals("auto") && existing() != events)) {
            populate(events);
        }
        PostgresEventStore store = Bench.store(Bench.connectionFactory(), 1, 2, pageSize, Duration.ofSeconds(1));
        List<List<String>> rows = new ArrayList<>();
        try {
            for (int rep = warmPass ? 0 : 1; rep <= reps; rep++) {
                long n;
                long chk;
                double sec;
                double cpuUs;
                Bench.HeapSampler hs = new Bench.HeapSampler();
                try (hs) {
                    long[] acc = new long[2];
                    long cpu0 = Bench.processCpuNanos();
                    long t0 = System.nanoTime();
                    store.load(EventQuery.all()).doOnNext(e -> {
                        acc[0]++;
                        acc[1] += e.streamVersion() + e.position().sequence() + e.type().length()
                                + e.recordedAt().getNano() + e.streamId().id().length() + e.eventId().hashCode();
                    }).blockLast(Duration.ofHours(1));
                    sec = (System.nanoTime() - t0) / 1e9;
                    cpuUs = (Bench.processCpuNanos() - cpu0) / 1e3;
                    n = acc[0];
                    chk = acc[1];
                }
                if (n != events) {
                    System.out.println(Bench.f("WARNING: load returned %d of %d events: a transaction older than the populate"
                            + " (in ANY database of the cluster) holds the xmin horizon back; oldest: %s", n, events, oldestTransaction()));
                }
                if (rep == 0) {
                    System.out.println(Bench.f("warm-up pass: %d events in %.2f s (%.0f events/s), peak heap %.0f MB", n, sec, n / sec, hs.peakMb()));
                    continue;
                }
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("tool", label);
                r.put("rep", rep);
                r.put("events", n);
                r.put("seconds", sec);
                r.put("events_per_s", n / sec);
                r.put("peak_heap_mb", hs.peakMb());
                r.put("old_gen_peak_mb", hs.oldGenPeakMb());
                r.put("max_heap_mb", Runtime.getRuntime().maxMemory() / 1048576.0);
                r.put("gc_count", hs.gcs());
                r.put("gc_ms", hs.gcMs());
                r.put("page_size", pageSize);
                r.put("client_cpu_us_per_event", n == 0 ? Double.NaN : cpuUs / n);
                r.put("heap_profile_mb", profile(hs.perSecondMaxMb));
                r.put("chk", chk);
                Bench.result("load", r);
                rows.add(List.of(label, Integer.toString(rep), Long.toString(n), Bench.f("%.2f", sec), Bench.f("%.0f", n / sec),
                        Bench.f("%.0f", hs.peakMb()), Bench.f("%.0f", hs.oldGenPeakMb()), Bench.f("%.0f", Runtime.getRuntime().maxMemory() / 1048576.0),
                        Long.toString(hs.gcs()), (String) r.get("heap_profile_mb")));
            }
        } finally {
            store.close().block(Duration.ofSeconds(30));
        }
        Bench.table(List.of("reader", "rep", "events", "seconds", "events/s", "peak heap MB (2 ms samples)", "old-gen peak MB",
                "max heap MB", "GCs", "max used heap per tenth of the run, MB"), rows);
    }

    /** The largest sampled used heap in each tenth of the run: flat means bounded memory. */
    private static String profile(List<Double> perSecond) {
        List<Double> s;
        synchronized (perSecond) {
            s = new ArrayList<>(perSecond);
        }
        if (s.isEmpty()) {
            return "-";
        }
        StringBuilder sb = new StringBuilder();
        int parts = Math.min(10, s.size());
        for (int p = 0; p < parts; p++) {
            int from = p * s.size() / parts;
            int to = Math.max(from + 1, (p + 1) * s.size() / parts);
            double max = 0;
            for (int i = from; i < to; i++) {
                max = Math.max(max, s.get(i));
            }
            sb.append(p == 0 ? "" : "/").append(Bench.f("%.0f", max));
        }
        return sb.toString();
    }

    private static String oldestTransaction() {
        try {
            return "age " + Bench.queryLong("SELECT coalesce(max(age(backend_xmin)), 0) FROM pg_stat_activity") + " xids";
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static long existing() {
        try {
            return Bench.queryLong("SELECT count(*) FROM \"" + Bench.schema() + "\".events");
        } catch (RuntimeException e) {
            return -1;
        }
    }

    static void populate(long events) {
        long t0 = System.nanoTime();
        Bench.resetSchema();
        String s = "\"" + Bench.schema() + "\"";
        for (long lo = 0; lo < events; lo += CHUNK) {
            long hi = Math.min(events, lo + CHUNK) - 1;
            Bench.sql("INSERT INTO " + s + ".events (event_id, stream_id, category, stream_version, event_type, data, metadata)"
                    + " SELECT gen_random_uuid(), 'load-' || (g / " + STREAM_SIZE + "), 'load', g % " + STREAM_SIZE + " + 1,"
                    + " 'OrderLineAdded', '" + Bench.DATA + "'::jsonb, '" + Bench.META + "'::jsonb"
                    + " FROM generate_series(" + lo + ", " + hi + ") g ORDER BY g");
        }
        Bench.sql("INSERT INTO " + s + ".streams (stream_id, category, version)"
                        + " SELECT 'load-' || g, 'load', least(" + STREAM_SIZE + ", " + events + " - g * " + STREAM_SIZE + ")"
                        + " FROM generate_series(0, " + ((events - 1) / STREAM_SIZE) + ") g",
                "VACUUM ANALYZE " + s + ".events", "VACUUM ANALYZE " + s + ".streams", "CHECKPOINT");
        System.out.println(Bench.f("populated %d events (%d streams, transactions of %d rows) in %.1f s",
                events, (events + STREAM_SIZE - 1) / STREAM_SIZE, CHUNK, (System.nanoTime() - t0) / 1e9));
    }
}
