package io.reactivees.benchmarks;

import io.reactivees.core.ExpectedVersion;
import io.reactivees.core.StreamId;
import io.reactivees.r2dbc.PostgresEventStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The benchmark harness: a plain {@code main} with subcommands, each printing a markdown table and
 * {@code RESULT} lines for {@code run.sh}. Connection from the environment: PGHOST (127.0.0.1), PGPORT
 * (5432), PGUSER (bench), PGPASSWORD (bench), LIB_DB (reactivees_bench); schema BENCH_SCHEMA (bench), which every
 * subcommand drops and recreates through the library's migrator.
 *
 * <pre>
 * append      --batch 1|10 --writers 1,4,16,64 --seconds 15 --warmup 3 [--pool N]
 * append-hot  --writers 16 [--batch 1] --seconds 15 --warmup 3
 * append-hot-aggregate --writers 16 [--in-turn true|false] [--retry default|eager] --seconds 15 --warmup 3: commands on
 *             one aggregate through AggregateRepository, in turn or racing
 * append-contention --writers 32 --streams 16 [--batch 1] --seconds 15 --warmup 3: conflicts retried with the
 *             actual version from the exception and the same event ids
 * append-conditional --writers 16 [--batch 1] [--shared-tag false] --seconds 15 --warmup 3: appends under an
 *             append condition on each decider's own tag (the dynamic consistency boundary)
 * load        --events 1000000 [--reps 3] [--page-size (the store default)] [--populate auto|always|never] [--warm-pass true|false] [--label name]
 * tail        --subscribers 1,1000 [--rate 100] --seconds 20 --warmup 5 [--poll-ms 1000]
 * load-variants  (diagnostic) the table load filled, read by hand-written R2DBC readers that each change one thing
 * append-sql  prints the statement the store sends for append(stream, exact(v), n events)
 * reset       drops and recreates the schema (empty tables)
 * </pre>
 */
public final class Main {

    private Main() {}

    public static void main(String[] args) {
        if (args.length == 0) {
            System.err.println("usage: Main append|append-hot|append-hot-aggregate|append-contention|append-conditional|load|tail|append-sql|reset [--option value]...");
            System.exit(2);
        }
        Map<String, String> o = Bench.options(args);
        switch (args[0]) {
            case "append" -> AppendBench.run(o);
            case "append-hot" -> AppendBench.hot(o);
            case "append-contention" -> AppendBench.contention(o);
            case "append-hot-aggregate" -> HotAggregateBench.run(o);
            case "append-conditional" -> ConditionalAppendBench.run(o);
            case "load" -> LoadBench.run(o);
            case "tail" -> TailBench.run(o);
            case "append-sql" -> appendSql(o);
            case "load-variants" -> LoadVariants.run(o);
            case "reset" -> Bench.resetSchema();
            case "lone-probe" -> LoneProbe.run(o);
            default -> {
                System.err.println("unknown subcommand " + args[0]);
                System.exit(2);
            }
        }
        System.exit(0);
    }

    /** Captures, through a counting connection factory, the exact SQL of an append with an exact version. */
    private static void appendSql(Map<String, String> o) {
        int n = Bench.intOpt(o, "batch", 1);
        Bench.resetSchema();
        CountingConnectionFactory counting = new CountingConnectionFactory(Bench.connectionFactory());
        PostgresEventStore store = Bench.store(counting, 1, 1, 500, Duration.ofSeconds(1));
        try {
            StreamId stream = StreamId.of("sql", "1");
            store.append(stream, ExpectedVersion.noStream(), Bench.events(n)).block(Duration.ofSeconds(30));
            List<String> seen = new ArrayList<>();
            counting.statementListener = seen::add;
            store.append(stream, ExpectedVersion.exact(n), Bench.events(n)).block(Duration.ofSeconds(30));
            counting.statementListener = null;
            seen.removeIf(sql -> sql.contains("pg_notify(")); // sent after the commit, coalesced
            if (seen.size() != 1) {
                throw new IllegalStateException("expected one statement per append, saw " + seen);
            }
            System.out.println("STATEMENTS_PER_APPEND " + seen.size());
            System.out.println("SQL " + seen.get(0));
        } finally {
            store.close().block(Duration.ofSeconds(30));
        }
        Bench.resetSchema();
    }
}
