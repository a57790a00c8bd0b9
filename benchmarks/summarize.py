#!/usr/bin/env python3
"""Builds summary.md for one run of benchmarks/run.sh.

Usage: summarize.py RAW_DIR > summary.md
Reads the harness's RESULT lines (lib-*.log) and the anchors' CSVs (java-write.csv, read.csv) plus
pgbench-libsql.csv and pgbench-floor.csv from RAW_DIR. Medians over reps where there are several.
"""
import csv, glob, os, statistics, sys
from collections import defaultdict

raw = sys.argv[1]


def num(x, default=None):
    """x as a float, or default when it is missing or not a number (NA, a cut-off value)."""
    try:
        return float(x)
    except (TypeError, ValueError):
        return default


def med(xs):
    xs = [v for v in (num(x) for x in xs) if v is not None and v == v]
    return statistics.median(xs) if xs else float("nan")


# The anchors' and pgbench's CSV headers, to read a CSV whose header line was lost.
HEADERS = {
    "java-write.csv": "tool,batch,clients,rep,tps,events_per_s,p50_ms,p99_ms,errors,commits_per_append,cpu_us,cpu_sy,cpu_id,cpu_wa",
    "read.csv": "tool,rep,events,seconds,events_per_s,peak_heap_mb",
    "pgbench-libsql.csv": "tool,batch,clients,rep,tps,events_per_s,lat_avg_ms,failed,cpu_us,cpu_sy,cpu_id,cpu_wa",
    "pgbench-floor.csv": "tool,batch,clients,rep,tps,events_per_s,lat_avg_ms,failed,cpu_us,cpu_sy,cpu_id,cpu_wa",
    "server-cpu.csv": "tool,batch,clients,server_cpu_s,seconds",
}


def csv_rows(name, required=("tool",)):
    """The rows of RAW_DIR/name as dicts; [] when it is missing or empty. A file without its header line
    is read with the known header; rows lacking a required field (a cut-off line) are skipped, with a note
    on stderr, so that one damaged cell never hides the rest of the summary."""
    p = os.path.join(raw, name)
    if not os.path.exists(p):
        return []
    with open(p, newline="", errors="replace") as fh:
        lines = [line for line in fh if line.strip()]
    if not lines:
        return []
    first = next(csv.reader(lines[:1]), [])
    if "tool" not in first and name in HEADERS:
        print(f"summarize.py: {name} has no header line; reading it with the known one", file=sys.stderr)
        lines.insert(0, HEADERS[name] + "\n")
    rows, skipped = [], 0
    for row in csv.DictReader(lines):
        if all(row.get(k) not in (None, "") for k in required):
            rows.append(row)
        else:
            skipped += 1
    if skipped:
        print(f"summarize.py: skipped {skipped} incomplete line(s) of {name}", file=sys.stderr)
    return rows


def results(kind):
    out = []
    for p in sorted(glob.glob(os.path.join(raw, "lib-*.log"))):
        for line in open(p, errors="replace"):
            if line.startswith("RESULT " + kind + " "):
                d = dict(kv.split("=", 1) for kv in line.split()[2:] if "=" in kv)
                d["_file"] = os.path.basename(p)
                out.append(d)
    return out


def fmt(x, p=0):
    return "–" if x is None or x != x else f"{x:,.{p}f}"


def ratio(a, b):
    return a / b if a == a and b == b and b else float("nan")


def ok(r, target):
    return "" if r != r else ("✅" if r >= target else "❌")


# ---------------------------------------------------------------- writes
lib = defaultdict(list)
for r in results("append"):
    lib[(int(r["batch"]), int(r["writers"]))].append(r)
java = defaultdict(list)
for r in csv_rows("java-write.csv", ("tool", "batch", "clients")):
    if num(r["batch"]) is not None and num(r["clients"]) is not None:
        java[(r["tool"], int(num(r["batch"])), int(num(r["clients"])))].append(r)
# PostgreSQL's CPU seconds inside each anchor write cell's window (run.sh); a rerun's line comes later and wins
anchor_server_cpu = {}
for r in csv_rows("server-cpu.csv", ("tool", "batch", "clients", "server_cpu_s", "seconds")):
    if num(r["batch"]) is not None and num(r["clients"]) is not None:
        anchor_server_cpu[(r["tool"], int(num(r["batch"])), int(num(r["clients"])))] = r


def server_us_per_append(tool, n, c, tps):
    """An anchor cell's server CPU per append: its CPU seconds over its window's appends, at the cell's rate."""
    r = anchor_server_cpu.get((tool, n, c))
    cpu, seconds = (num(r["server_cpu_s"]), num(r["seconds"])) if r else (None, None)
    if cpu is None or not seconds or not tps:
        return None
    return cpu * 1e6 / (tps * seconds)


pgb = defaultdict(list)
for name in ("pgbench-libsql.csv", "pgbench-floor.csv"):
    for r in csv_rows(name, ("tool", "batch", "clients")):
        if num(r["batch"]) is not None and num(r["clients"]) is not None:
            pgb[(r["tool"], int(num(r["batch"])), int(num(r["clients"])))].append(r)
FLOORS = {"floor-insert": "floor: the events row(s) alone",
          "floor-claim": "floor: claim + id check + insert, one SQL statement",
          "floor-pipeline": "floor: advisory locks + that statement, pipelined (the designed append)"}

def target_ratio(batch, writers):
    """The hot-paths issue's target, library ÷ Axon: batch 1 at least 1× with 1 and 4 writers and 2× with
    16 and 64; batch 10 at least 1× with a lone writer (it cannot coalesce) and 1.5× with more."""
    if batch == 1:
        return 1.0 if writers <= 4 else 2.0
    return 1.0 if writers == 1 else 1.5


cells = sorted(set(lib) | {(k[1], k[2]) for k in java} | {(k[1], k[2]) for k in pgb if k[0] not in FLOORS})
print("## Targets (library ÷ anchor, same session)\n")
print("| append cell | library appends/s | Axon | library ÷ Axon | target | pgbench, library SQL | library ÷ pgbench | plain JDBC (anchor schema) | library ÷ JDBC |")
print("|---|---:|---:|---:|---|---:|---:|---:|---:|")
for (n, c) in cells:
    L = med([r["tps"] for r in lib.get((n, c), [])])
    A = med([r["tps"] for r in java.get(("axon", n, c), [])])
    P = med([r["tps"] for r in pgb.get(("pgbench-libsql", n, c), [])])
    J = med([r["tps"] for r in java.get(("jdbc", n, c), [])])
    t = target_ratio(n, c)
    ra, rp = ratio(L, A), ratio(L, P)
    tgt = f"≥ {t:g}× Axon {ok(ra, t)}"
    if c == 16:
        tgt += f"; ≥ 0.9× pgbench {ok(rp, 0.9)}"
    print(f"| n={n}, {c} writers | {fmt(L)} | {fmt(A)} | {fmt(ra, 2)} | {tgt} | {fmt(P)} | {fmt(rp, 2)} | {fmt(J)} | {fmt(ratio(L, J), 2)} |")

floor_cells = sorted({(k[1], k[2]) for k in pgb if k[0] in FLOORS})
if floor_cells:
    print()
    print("The designed append's floor (pgbench on the library's schema, no client library, no PL/pgSQL; "
          "benchmarks/pgbench/run-pgbench-floor.sh): what the server and one round trip allow, beside Axon.\n")
    print("| cell | " + " | ".join(FLOORS.values()) + " | pgbench, library SQL | library | Axon | floors ÷ Axon | library ÷ designed floor |")
    print("|---|" + "---:|" * (len(FLOORS) + 5))
    for (n, c) in floor_cells:
        F = [med([r["tps"] for r in pgb.get((t, n, c), [])]) for t in FLOORS]
        P = med([r["tps"] for r in pgb.get(("pgbench-libsql", n, c), [])])
        L = med([r["tps"] for r in lib.get((n, c), [])])
        A = med([r["tps"] for r in java.get(("axon", n, c), [])])
        print(f"| n={n}, {c} writers | " + " | ".join(fmt(f) for f in F) + f" | {fmt(P)} | {fmt(L)} | {fmt(A)} | "
              + " / ".join(fmt(ratio(f, A), 2) for f in F) + f" | {fmt(ratio(L, F[-1]), 2)} |")

reads = defaultdict(list)
for r in csv_rows("read.csv"):
    reads[r["tool"]].append(r)
loads = defaultdict(list)
for r in results("load"):
    loads[r["tool"]].append(r)
L = med([r["events_per_s"] for r in loads.get("library-load", [])])
Jr = med([r["events_per_s"] for r in reads.get("jdbc-read-java", [])])
Ar = med([r["events_per_s"] for r in reads.get("axon-read-java", [])])
print()
print("| read 1M events | events/s | ratio | target |")
print("|---|---:|---:|---|")
print(f"| library `load(EventQuery.all())` | {fmt(L)} | | |")
print(f"| plain JDBC cursor (fetch 1000) | {fmt(Jr)} | library ÷ JDBC = {fmt(ratio(L, Jr), 2)} | ≥ 0.9 {ok(ratio(L, Jr), 0.9)} |")
print(f"| Axon `readEvents` | {fmt(Ar)} | library ÷ Axon = {fmt(ratio(L, Ar), 2)} | ≥ 3 {ok(ratio(L, Ar), 3)} |")

tails = results("tail")
print()
print("| live tail | p99 commit→delivery (from before append) | target | feed queries per wake-up | subscription queries while live |")
print("|---|---:|---|---:|---:|")
for r in tails:
    n = int(r["subscribers"])
    p99 = float(r["p99_ms"])
    t = 20 if n == 1 else 50
    fq = float(r["feed_queries_per_wakeup"])
    print(f"| {n} subscriber(s), {float(r['rate']):.0f} appends/s | {p99:.2f} ms | ≤ {t} ms {'✅' if p99 <= t else '❌'} | {fq:.2f} {'✅' if fq <= 1.0 else '❌'} | {r['subscription_queries']} |")

# ---------------------------------------------------------------- detail tables
print("\n## Appends (each cell: warm-up, then the measured window; medians if several reps)\n")
print("| tool | batch n | writers/clients | TPS (appends/s) | events/s | latency | CPU us+sy % | idle % | server CPU µs/append |")
print("|---|---:|---:|---:|---:|---|---:|---:|---:|")
rows = []
for (n, c), rs in lib.items():
    rows.append((0, n, c, "library (R2DBC)", med([r["tps"] for r in rs]), med([r["events_per_s"] for r in rs]),
                 "p50 %.2f / p99 %.2f ms" % (med([r["p50_ms"] for r in rs]), med([r["p99_ms"] for r in rs])),
                 med([float(r["cpu_us"]) + float(r["cpu_sy"]) for r in rs]), med([r["cpu_id"] for r in rs]),
                 med([r.get("server_cpu_us_per_append") for r in rs])))
order = {"floor-insert": 0.1, "floor-claim": 0.2, "floor-pipeline": 0.3, "pgbench-libsql": 1, "pgbench-libsql-withnotify": 2, "axon": 3, "jdbc": 4}
for src in (pgb, java):
    for (tool, n, c), rs in src.items():
        if "lat_avg_ms" in rs[0]:
            lat = "avg %.2f ms" % med([r["lat_avg_ms"] for r in rs])
        else:
            lat = "p50 %.2f / p99 %.2f ms" % (med([r["p50_ms"] for r in rs]), med([r["p99_ms"] for r in rs]))
        cpu = med([float(r["cpu_us"]) + float(r["cpu_sy"]) for r in rs if r.get("cpu_us") not in (None, "", "NA")])
        name = {"pgbench-libsql": "pgbench, library SQL", "pgbench-libsql-withnotify": "pgbench, library SQL with pg_notify inside (diagnostic: the old design)",
                "axon": "Axon JdbcEventStorageEngine", "jdbc": "plain JDBC (anchor schema, 4 round trips)",
                **{t: "pgbench, " + d for t, d in FLOORS.items()}}.get(tool, tool)
        tps = med([r["tps"] for r in rs])
        rows.append((order.get(tool, 9), n, c, name, tps, med([r["events_per_s"] for r in rs]), lat, cpu,
                     med([r.get("cpu_id") for r in rs]), server_us_per_append(tool, n, c, tps)))
for o, n, c, name, tps, eps, lat, cpu, idle, server in sorted(rows, key=lambda r: (r[1], r[2], r[0])):
    print(f"| {name} | {n} | {c} | {fmt(tps)} | {fmt(eps)} | {lat} | {fmt(cpu)} | {fmt(idle)} | {fmt(server)} |")

hot = results("append-hot")
if hot:
    print("\n### One hot stream (library, conflicts reload the version and retry)\n")
    print("| writers | successful appends/s | conflicts/s | retries per append | p50 / p99 ms incl. retries | errors | final version |")
    print("|---:|---:|---:|---:|---|---:|---:|")
    for r in hot:
        print(f"| {r['writers']} | {float(r['tps']):,.0f} | {float(r['conflicts_per_s']):,.0f} | {float(r['retries_per_append']):.2f} | "
              f"{float(r['p50_ms']):.2f} / {float(r['p99_ms']):.2f} | {r['errors']} | {r['final_version']} |")

hot_aggregate = results("append-hot-aggregate")
if hot_aggregate:
    print("\n### One hot aggregate (library: commands through AggregateRepository, in turn or racing under the default retry policy)\n")
    print("| commands | writers | successful commands/s | retries per command | p50 / p99 / max ms incl. wait and retries | failed commands | counter = successes |")
    print("|---|---:|---:|---:|---|---:|---|")
    for r in hot_aggregate:
        print(f"| {r.get('tool')} | {r.get('writers')} | {fmt(num(r.get('tps')))} | {fmt(num(r.get('retries_per_command')), 2)} | "
              f"{fmt(num(r.get('p50_ms')), 2)} / {fmt(num(r.get('p99_ms')), 2)} / {fmt(num(r.get('max_ms')), 1)} | {r.get('errors')} | "
              f"{r.get('consistent')} |")

contention = results("append-contention")
if contention:
    print("\n### Contention (library: W writers on S shared streams; a conflict retries with the actual version and the same event ids)\n")
    print("| writers | streams | successful appends/s | retries/s | retries per append | p50 / p99 ms incl. retries | errors | stored = acknowledged |")
    print("|---:|---:|---:|---:|---:|---|---:|---|")
    for r in contention:
        print(f"| {r.get('writers')} | {r.get('streams')} | {fmt(num(r.get('tps')))} | {fmt(num(r.get('retries_per_s')))} | "
              f"{fmt(num(r.get('retries_per_append')), 2)} | {fmt(num(r.get('p50_ms')), 2)} / {fmt(num(r.get('p99_ms')), 2)} | "
              f"{r.get('errors')} | {r.get('consistent')} ({r.get('events_stored')} events) |")

conditional = results("append-conditional")
if conditional:
    print("\n### Conditional appends (library: W deciders, each under an append condition on its own tag; beside the plain append cells)\n")
    print("| deciders | tags | conditional appends/s | failed conditions/s | p50 / p99 ms | errors | client / server CPU µs per append |")
    print("|---:|---|---:|---:|---|---:|---|")
    for r in conditional:
        print(f"| {r.get('writers')} | {'one shared' if str(r.get('shared_tag')).lower() == 'true' else 'disjoint'} | {fmt(num(r.get('tps')))} | "
              f"{fmt(num(r.get('failed_conditions_per_s')))} | {fmt(num(r.get('p50_ms')), 2)} / {fmt(num(r.get('p99_ms')), 2)} | {r.get('errors')} | "
              f"{fmt(num(r.get('client_cpu_us_per_append')))} / {fmt(num(r.get('server_cpu_us_per_append')))} |")

print("\n## Reads\n")
print("| path | passes | events | seconds | events/s | peak heap MB (2 ms samples) | max heap MB | old-gen peak MB | used heap per tenth of the run (MB) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
for tool, rs in reads.items():
    heap = med([r.get("peak_heap_mb") for r in rs])
    print(f"| {tool} (anchor) | {len(rs)} | {rs[0]['events']} | {med([r['seconds'] for r in rs]):.3f} | {fmt(med([r['events_per_s'] for r in rs]))} | {fmt(heap)} | {'1024' if heap == heap else '–'} | | |")
for tool, rs in loads.items():
    print(f"| {tool} | {len(rs)} | {rs[0]['events']} | {med([r['seconds'] for r in rs]):.3f} | {fmt(med([r['events_per_s'] for r in rs]))} | "
          f"{fmt(med([r['peak_heap_mb'] for r in rs]))} | {fmt(med([r['max_heap_mb'] for r in rs]))} | {fmt(med([r['old_gen_peak_mb'] for r in rs]))} | {rs[-1].get('heap_profile_mb', '')} |")

if tails:
    print("\n## Live tail\n")
    print("| subscribers | appends/s | appends measured | deliveries | missing | p50 / p99 / max ms from before append | p50 / p99 ms from append completion | notifications | feed queries | subscription queries | feed queries per wake-up | reader statements per wake-up | DB scans of events / in-process count (whole run) | CPU us+sy % |")
    print("|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---|---:|")
    for r in tails:
        print(f"| {r['subscribers']} | {float(r['rate']):.0f} | {r['appends']} | {r['deliveries']} | {r['missing']} | "
              f"{float(r['p50_ms']):.2f} / {float(r['p99_ms']):.2f} / {float(r['max_ms']):.2f} | {float(r['p50_after_ms']):.2f} / {float(r['p99_after_ms']):.2f} | "
              f"{r['notifications']} | {r['feed_queries']} | {r['subscription_queries']} | {float(r['feed_queries_per_wakeup']):.2f} | "
              f"{float(r['statements_per_wakeup']):.2f} | {r['db_events_scans_total']} / {r['inproc_events_queries_total']} | {float(r['cpu_us']) + float(r['cpu_sy']):.0f} |")
