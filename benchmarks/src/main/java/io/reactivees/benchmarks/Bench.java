package io.reactivees.benchmarks;

import io.r2dbc.postgresql.PostgresqlConnectionConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactory;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.Result;
import io.reactivees.core.EventData;
import io.reactivees.r2dbc.PostgresEventStore;
import io.reactivees.r2dbc.PostgresEventStoreOptions;
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Shared plumbing: options, connections, schema reset, events, percentiles, heap and CPU sampling, output. */
final class Bench {

    /** The same payloads as the anchors ({@code EV_DATA}/{@code EV_META} in the anchors' lib.sh). */
    static final String DATA = "{\"orderId\":\"0b7f3c2e-5d1a-4c7e-9f3b-2a6d8e1c4b90\",\"sku\":\"SKU-000123\",\"quantity\":3,"
            + "\"unitPrice\":19.99,\"currency\":\"EUR\",\"note\":\"gift wrap please\"}";
    static final String META = "{\"correlationId\":\"6f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b\","
            + "\"causationId\":\"7a8b9c0d-1e2f-3a4b-5c6d-7e8f9a0b1c2d\",\"userId\":\"user-42\"}";
    static final EventData TEMPLATE = EventData.of("OrderLineAdded",
            DATA.getBytes(StandardCharsets.UTF_8), META.getBytes(StandardCharsets.UTF_8));

    private Bench() {}

    // ------------------------------------------------------------------ options

    static Map<String, String> options(String[] args) {
        Map<String, String> m = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("expected --option, got " + a);
            }
            String k = a.substring(2);
            int eq = k.indexOf('=');
            if (eq >= 0) {
                m.put(k.substring(0, eq), k.substring(eq + 1));
            } else {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("missing value for " + a);
                }
                m.put(k, args[++i]);
            }
        }
        return m;
    }

    static int intOpt(Map<String, String> o, String k, int def) {
        return o.containsKey(k) ? Integer.parseInt(o.get(k)) : def;
    }

    static long longOpt(Map<String, String> o, String k, long def) {
        return o.containsKey(k) ? Long.parseLong(o.get(k).replace("_", "")) : def;
    }

    static double doubleOpt(Map<String, String> o, String k, double def) {
        return o.containsKey(k) ? Double.parseDouble(o.get(k)) : def;
    }

    static List<Integer> intList(Map<String, String> o, String k, String def) {
        List<Integer> l = new ArrayList<>();
        for (String s : o.getOrDefault(k, def).split(",")) {
            l.add(Integer.parseInt(s.trim()));
        }
        return l;
    }

    static String env(String k, String def) {
        String v = System.getenv(k);
        return v == null || v.isEmpty() ? def : v;
    }

    // ------------------------------------------------------------------ database

    static String schema() {
        return env("BENCH_SCHEMA", "bench");
    }

    /**
     * A plain r2dbc-postgresql factory (driver defaults) for PGHOST, PGPORT, PGUSER, PGPASSWORD and database LIB_DB
     * ({@code reactivees_bench}: a database of its own, so the schema {@code bench} cannot shadow the anchors' public
     * tables through the role's {@code "$user"} search path).
     */
    static ConnectionFactory connectionFactory() {
        return new PostgresqlConnectionFactory(PostgresqlConnectionConfiguration.builder()
                .host(env("PGHOST", "127.0.0.1"))
                .port(Integer.parseInt(env("PGPORT", "5432")))
                .username(env("PGUSER", "bench"))
                .password(env("PGPASSWORD", "bench"))
                .database(env("LIB_DB", "reactivees_bench"))
                .applicationName("reactivees-bench")
                .forceBinary(true) // as PostgresEventStore.connectionFactory(url) sets it
                .build());
    }

    /**
     * The library's store on the benchmark schema. Write lanes and batch bounds are the library's
     * defaults unless the system properties {@code lanes}, {@code batchEvents}, {@code batchBytes}
     * and {@code batchStreams} say otherwise (for measuring the defaults).
     */
    static PostgresEventStore store(ConnectionFactory factory, int poolInitial, int poolMax, int pageSize, Duration poll) {
        PostgresEventStoreOptions defaults = PostgresEventStoreOptions.defaults();
        return PostgresEventStore.builder(factory)
                .options(PostgresEventStoreOptions.builder()
                        .schema(schema())
                        .poolSize(poolInitial, poolMax)
                        .pageSize(pageSize)
                        .pollInterval(poll)
                        .writeLanes(Integer.getInteger("lanes", defaults.writeLanes()))
                        .batchBounds(Integer.getInteger("batchEvents", defaults.maxBatchEvents()),
                                Long.getLong("batchBytes", defaults.maxBatchBytes()),
                                Integer.getInteger("batchStreams", defaults.maxBatchStreams()))
                        .build())
                .build();
    }

    /** Runs statements one by one on a fresh connection (autocommit), outside the store. */
    static void sql(String... statements) {
        Mono.usingWhen(Mono.from(connectionFactory().create()),
                        c -> Flux.fromArray(statements)
                                .concatMap(s -> Flux.from(c.createStatement(s).execute()).concatMap(Result::getRowsUpdated))
                                .then(),
                        Connection::close)
                .block(Duration.ofHours(1));
    }

    static long queryLong(String query) {
        Long v = Mono.usingWhen(Mono.from(connectionFactory().create()),
                        c -> Flux.from(c.createStatement(query).execute())
                                .concatMap(r -> r.map((row, meta) -> ((Number) row.get(0)).longValue()))
                                .next(),
                        Connection::close)
                .block(Duration.ofMinutes(10));
        return v == null ? 0 : v;
    }

    /** Drops the schema and lets the library create it again: every cell starts from empty tables. */
    static void resetSchema() {
        sql("DROP SCHEMA IF EXISTS \"" + schema() + "\" CASCADE");
        PostgresEventStore s = store(connectionFactory(), 0, 1, 500, Duration.ofSeconds(1));
        try {
            s.migrate().block(Duration.ofMinutes(1));
        } finally {
            s.close().block(Duration.ofSeconds(30));
        }
        sql("CHECKPOINT");
    }

    static long xactCommit() {
        return queryLong("SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()");
    }

    /** A fresh event (new random id) with the anchors' payload; goes through the public constructor. */
    static EventData event() {
        return TEMPLATE.withEventId(UUID.randomUUID());
    }

    static List<EventData> events(int n) {
        List<EventData> l = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            l.add(event());
        }
        return l;
    }

    // ------------------------------------------------------------------ statistics

    /**
     * A growable array of timed samples (when each operation started, how long it took, in
     * nanoseconds), for one thread at a time. Writers record every operation, in the warm-up too:
     * {@link Window#latencies} keeps those of the measured window afterwards. (A writer that asked the
     * window whether to count would run a branch the warm-up never took; the JIT compiles it as a
     * trap, and opening the window deoptimized the whole inlined client chain, which C2 then
     * recompiled inside the measured seconds.)
     */
    static final class Samples {
        /** One empty set of samples per writer. */
        static List<Samples> perWriter(int writers) {
            List<Samples> all = new ArrayList<>(writers);
            for (int i = 0; i < writers; i++) {
                all.add(new Samples());
            }
            return all;
        }

        long[] starts = new long[1 << 12];
        long[] values = new long[1 << 12];
        int size;

        void add(long startNanos, long durationNanos) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
                starts = Arrays.copyOf(starts, size * 2);
            }
            starts[size] = startNanos;
            values[size++] = durationNanos;
        }
    }

    /** CPU time used by this JVM so far (all threads, incl. GC and JIT), in nanoseconds. */
    static long processCpuNanos() {
        java.lang.management.OperatingSystemMXBean os = ManagementFactory.getOperatingSystemMXBean();
        return os instanceof com.sun.management.OperatingSystemMXBean sun ? sun.getProcessCpuTime() : -1;
    }

    /**
     * CPU time (user + system) that the server's backends serving this benchmark ({@code application_name}
     * reactivees-bench) and PostgreSQL's WAL writer have used so far, read from {@code /proc}: the server's
     * cost, counted apart from whatever else the machine runs. Clock-tick resolution (10 ms); -1 where
     * {@code /proc} cannot be read (the server on another host).
     */
    static long serverCpuNanos() {
        String pids = backendPids();
        long ticks = 0;
        if (pids == null) {
            return -1;
        }
        for (String pid : pids.split(",")) {
            try {
                String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc", pid.trim(), "stat"));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]); // utime, stime (fields 14 and 15)
            } catch (java.io.IOException | RuntimeException e) {
                return -1;
            }
        }
        return ticks * 10_000_000L;
    }

    /**
     * The pids of the benchmark's backends and of the WAL writer, asked of the server by {@code psql}
     * in a process of its own. Not through this JVM's driver: a new connection on the writers' event
     * loops, at the moment the window opens, changed the type profiles of the hot client code, and
     * C2 deoptimized and recompiled it inside the measured seconds.
     */
    private static String backendPids() {
        try {
            Process p = new ProcessBuilder("psql", "-XAtq", "-h", env("PGHOST", "127.0.0.1"), "-p", env("PGPORT", "5432"),
                    "-U", env("PGUSER", "bench"), "-d", env("LIB_DB", "reactivees_bench"), "-c",
                    "SELECT string_agg(pid::text, ',') FROM pg_stat_activity WHERE application_name = 'reactivees-bench'"
                            + " OR backend_type = 'walwriter'")
                    .redirectErrorStream(true)
                    .start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 && out.matches("[0-9,]+") ? out : null;
        } catch (java.io.IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** Percentile of sorted nanosecond samples, in milliseconds. */
    static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))] / 1e6;
    }

    /** Whole-machine CPU split from /proc/stat between two snapshots (client + server, like vmstat). */
    static final class Cpu {
        private final long[] start = read();

        static long[] read() {
            try {
                String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
                long[] v = new long[f.length - 1];
                for (int i = 1; i < f.length; i++) {
                    v[i - 1] = Long.parseLong(f[i]);
                }
                return v;
            } catch (IOException | RuntimeException e) {
                return new long[0];
            }
        }

        /** {us, sy, idle, iowait} percent since construction. */
        double[] since() {
            long[] end = read();
            if (start.length < 5 || end.length < 5) {
                return new double[] {Double.NaN, Double.NaN, Double.NaN, Double.NaN};
            }
            long total = 0;
            long[] d = new long[end.length];
            for (int i = 0; i < end.length && i < 8; i++) { // user nice system idle iowait irq softirq steal
                d[i] = end[i] - start[i];
                total += d[i];
            }
            double t = Math.max(1, total);
            return new double[] {100.0 * (d[0] + d[1]) / t, 100.0 * (d[2] + d[5] + d[6]) / t, 100.0 * d[3] / t, 100.0 * d[4] / t};
        }
    }

    /** Samples used heap every 2 ms, exactly like the anchors' HeapSampler; also keeps a time series. */
    static final class HeapSampler implements AutoCloseable {
        private final Thread thread;
        private volatile boolean stop;
        volatile long maxUsed;
        private final long gcCount0;
        private final long gcTime0;
        private final long t0 = System.nanoTime();
        /** Max used heap per second of the run (MB), to show whether it stays flat. */
        final List<Double> perSecondMaxMb = new ArrayList<>();

        HeapSampler() {
            System.gc();
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                p.resetPeakUsage();
            }
            gcCount0 = gcCount();
            gcTime0 = gcTime();
            thread = new Thread(() -> {
                long second = 0;
                long secondMax = 0;
                while (!stop) {
                    long u = Runtime.getRuntime().totalMemory() - Runtime.getRuntime().freeMemory();
                    if (u > maxUsed) {
                        maxUsed = u;
                    }
                    long s = (System.nanoTime() - t0) / 1_000_000_000L;
                    if (s != second) {
                        synchronized (perSecondMaxMb) {
                            perSecondMaxMb.add(secondMax / 1048576.0);
                        }
                        second = s;
                        secondMax = 0;
                    }
                    secondMax = Math.max(secondMax, u);
                    try {
                        Thread.sleep(2);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "heap-sampler");
            thread.setDaemon(true);
            thread.start();
        }

        static long gcCount() {
            long s = 0;
            for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
                s += Math.max(0, g.getCollectionCount());
            }
            return s;
        }

        static long gcTime() {
            long s = 0;
            for (GarbageCollectorMXBean g : ManagementFactory.getGarbageCollectorMXBeans()) {
                s += Math.max(0, g.getCollectionTime());
            }
            return s;
        }

        double peakMb() {
            return maxUsed / 1048576.0;
        }

        /** Old-generation peak (retained data survives into it; young-gen garbage does not). */
        double oldGenPeakMb() {
            long s = 0;
            for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
                if (p.getType() == MemoryType.HEAP && p.getName().contains("Old")) {
                    s += p.getPeakUsage().getUsed();
                }
            }
            return s / 1048576.0;
        }

        long gcs() {
            return gcCount() - gcCount0;
        }

        long gcMs() {
            return gcTime() - gcTime0;
        }

        @Override
        public void close() {
            stop = true;
            try {
                thread.join(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ output

    static String f(String format, Object... args) {
        return String.format(Locale.ROOT, format, args);
    }

    /** Prints a machine-readable line for run.sh: {@code RESULT kind k=v ...}. */
    static void result(String kind, Map<String, Object> values) {
        StringBuilder sb = new StringBuilder("RESULT ").append(kind);
        values.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v instanceof Double d ? f("%.3f", d) : v));
        System.out.println(sb);
    }

    static void table(List<String> header, List<List<String>> rows) {
        StringBuilder sb = new StringBuilder("\n| ").append(String.join(" | ", header)).append(" |\n|");
        for (int i = 0; i < header.size(); i++) {
            sb.append(i == 0 ? "---|" : "---:|");
        }
        sb.append('\n');
        for (List<String> r : rows) {
            sb.append("| ").append(String.join(" | ", r)).append(" |\n");
        }
        System.out.println(sb);
    }
}
