#!/usr/bin/env bash
# Reproduces the whole comparison in ONE session (see benchmarks/README.md):
#   library append matrix (+ one hot stream, + 32 writers on 16 streams) -> pgbench on the library's own append SQL
#   -> pgbench on the designed append's floor (pgbench/run-pgbench-floor.sh, lone writer) -> Axon + plain JDBC write matrices
#   -> SQL / JDBC / Axon reads of 1M events -> library load (1 GB heap, 64 MB heap, big table) -> live tail.
# Run as root from anywhere (the anchors' lib.sh may start PostgreSQL and create role/DBs). Never run two
# benchmarks at once; before every step the script waits until the machine is idle (see wait_quiet).
#
#   benchmarks/run.sh                                  # ~70 min: 1 rep, 15 s cells after 40 s warm-up
#   DURATION=5 WARMUP=2 BIG_EVENTS=2000000 TAIL_SECONDS=8 benchmarks/run.sh   # quick smoke
#
# Env: DURATION WARMUP REPS (write cells), BATCHES, CLIENTS, EVENTS (1M reads), BIG_EVENTS (10M, flat-heap check),
#      TAIL_RATE TAIL_SECONDS TAIL_WARMUP, NOTIFY_CLIENTS ("16"; "" skips the in-statement pg_notify diagnostic),
#      FLOOR_CLIENTS ("1": the floor scripts' clients; "" skips them),
#      ANCHORS (/work/shared/bench-anchors), OUT (benchmarks/results/<date>), JOPTS, SKIP_BUILD=1, STEPS (all).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
export ANCHORS=${ANCHORS:-/work/shared/bench-anchors}
OUT=${OUT:-$HERE/results/$(date +%F)}
export RESULTS=$OUT/raw
mkdir -p "$RESULTS"
source "$ANCHORS/lib.sh"

# Same warm-up for every JVM. 40 s: on two cores C2 was still compiling the reactor/netty/driver code 12-17 s
# into a cell (its thread used 1.9 of 5 s), and a lone writer measured after 12 s ran 15-25 % below one measured after 45 s.
export DURATION=${DURATION:-15} WARMUP=${WARMUP:-40} REPS=${REPS:-1}
export BATCHES=${BATCHES:-"1 10"} CLIENTS=${CLIENTS:-"1 4 16 64"} EVENTS=${EVENTS:-1000000}
BIG_EVENTS=${BIG_EVENTS:-10000000}
TAIL_RATE=${TAIL_RATE:-100} TAIL_SECONDS=${TAIL_SECONDS:-20} TAIL_WARMUP=${TAIL_WARMUP:-5}
NOTIFY_CLIENTS=${NOTIFY_CLIENTS-16}
STEPS=${STEPS:-"build libappend pgbench floor axonwrite jdbcwrite reads libload libtail"}
FLOOR_CLIENTS=${FLOOR_CLIENTS-1}
export JOPTS=${JOPTS:-"-Xms1g -Xmx1g -XX:+UseG1GC"}
CP="$HERE/target/classes:$HERE/target/lib/*"
export BENCH_JAVA="java -Xms256m -Xmx1g -cp $CP io.reactivees.benchmarks.Main"
LIB="java $JOPTS -cp $CP io.reactivees.benchmarks.Main"
has() { [[ " $STEPS " == *" $1 "* ]]; }
log() { echo "[$(date +%T)] $*" | tee -a "$RESULTS/timeline.txt"; }

# Other jobs on this machine (another helper's builds/tests) must not overlap a cell. monitor.py notes every
# second in which non-benchmark JVM/Maven/pgbench processes used >= 15 % of a core; wait_quiet waits for an idle
# CPU, no such note in the last 10 s, and no transaction older than 60 s anywhere in the cluster (one would hold
# the xmin horizon back, and the library's load/subscribe read only below it). A cell that overlapped another
# job is rerun (up to CELL_ATTEMPTS times) and its disturbed CSV line dropped.
OURS='io\.reactivees\.benchmarks\.Main|bench\.Main|run-java\.sh|pgbench-libsql|pgbench-floor|monitor\.py'
python3 "$HERE/monitor.py" "$RESULTS/foreign.log" "$OURS" 15 &
MONITOR=$!
trap 'kill $MONITOR 2>/dev/null || true' EXIT
touch "$RESULTS/foreign.log"
recent_foreign() { awk -v a="$(( $(date +%s) - ${1:-10} ))" '$1 >= a' "$RESULTS/foreign.log" | tail -1 | cut -c1-120; }
old_xacts() { as_pg "psql -XAtc \"select count(*) from pg_stat_activity where xact_start < now() - interval '60 s' and backend_type = 'client backend'\"" 2>/dev/null || echo 0; }
wait_quiet() {
  local deadline=$(( $(date +%s) + ${QUIET_TIMEOUT:-1200} )) waited=0 _x u n s i w q sq st
  while :; do
    read -r _x u n s i w q sq st _x < /proc/stat; local t0=$((u+n+s+i+w+q+sq+st)) i0=$((i+w))
    sleep 3
    read -r _x u n s i w q sq st _x < /proc/stat; local t1=$((u+n+s+i+w+q+sq+st)) i1=$((i+w))
    local busy=$(( 100 - 100 * (i1 - i0) / (t1 - t0 > 0 ? t1 - t0 : 1) )) other old
    other=$(recent_foreign 10); old=$(old_xacts)
    if [ "$busy" -lt "${QUIET_BUSY:-10}" ] && [ -z "$other" ] && [ "$old" = 0 ]; then
      [ "$waited" = 1 ] && log "machine idle again (busy ${busy}%)"
      return 0
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then log "WARNING: still busy ${busy}% / other job: ${other:-none} / old transactions: $old; measuring anyway"; return 0; fi
    [ "$waited" = 0 ] && log "waiting: busy ${busy}%, other job: ${other:-none}, transactions older than 60 s: $old"
    waited=1; sleep 7
  done
}
# cell LABEL CSV|- cmd...: waits for quiet, runs, reruns if another job overlapped it.
cell() {
  local label=$1 csv=$2; shift 2
  local attempt lines
  for attempt in $(seq 1 "${CELL_ATTEMPTS:-3}"); do
    wait_quiet
    lines=$( [ "$csv" != - ] && [ -f "$csv" ] && wc -l < "$csv" || echo 0)
    local t0; t0=$(date +%s)
    log "$label$([ "$attempt" -gt 1 ] && echo " (attempt $attempt)")"
    "$@" || log "  FAILED (exit $?)"
    local t1; t1=$(date +%s)
    if awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b {found=1} END {exit !found}' "$RESULTS/foreign.log"; then
      log "  DISTURBED by another job: $(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b' "$RESULTS/foreign.log" | head -1 | cut -c1-140)"
      if [ "$attempt" -lt "${CELL_ATTEMPTS:-3}" ]; then
        # Drop the disturbed lines. A CSV that this attempt created (lines=0) keeps its first line, the
        # header: the scripts write it only when the file does not exist, so the rerun would not again.
        [ "$csv" != - ] && [ -f "$csv" ] && { head -n "$(( lines > 0 ? lines : 1 ))" "$csv" > "$csv.tmp"; mv "$csv.tmp" "$csv"; }
        continue
      fi
      log "  kept although disturbed (out of attempts)"
    fi
    return 0
  done
}

ensure_pg
ensure_dbs
export LIB_DB=${LIB_DB:-reactivees_bench}   # the library's own database (schema "bench"), apart from the anchors' esbench
as_pg "psql -X -Atc \"select 1 from pg_database where datname='$LIB_DB'\"" | grep -q 1 || as_pg "createdb -O bench $LIB_DB"
if has build && [ "${SKIP_BUILD:-0}" != 1 ]; then
  log "build: ./mvnw -Pbenchmarks -DskipTests package; anchors' axon project"
  (cd "$ROOT" && ./mvnw -q -B -Pbenchmarks -DskipTests package)
  [ -f "$ANCHORS/axon/target/classes/bench/Main.class" ] || (cd "$ANCHORS/axon" && mvn -q -B package)
fi
{
  echo "date: $(date -Is)"
  echo "host: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -g | awk '/Mem:/ {print $2}') GiB RAM, kernel $(uname -r)"
  java -version 2>&1 | head -2
  echo "library commit: $(git -C "$ROOT" rev-parse --short HEAD) ($(git -C "$ROOT" log -1 --format=%s | cut -c1-80))"
  psql_es -Atc "select version()"
  psql_es -Atc "select name || ' = ' || setting || coalesce(' ' || unit, '') from pg_settings where name in
    ('shared_buffers','synchronous_commit','fsync','max_connections','wal_sync_method','full_page_writes',
     'wal_buffers','max_wal_size','checkpoint_timeout','commit_delay','work_mem','effective_io_concurrency',
     'shared_preload_libraries') order by name"
  echo "knobs: DURATION=$DURATION WARMUP=$WARMUP REPS=$REPS EVENTS=$EVENTS BIG_EVENTS=$BIG_EVENTS TAIL_RATE=$TAIL_RATE TAIL_SECONDS=$TAIL_SECONDS JOPTS=$JOPTS"
} > "$RESULTS/environment.txt"
cat "$RESULTS/environment.txt"
T0=$(date +%s)

if has libappend; then
  for rep in $(seq 1 "$REPS"); do
    for n in $BATCHES; do
      for c in $CLIENTS; do
        cell "library append n=$n writers=$c rep $rep" - \
          bash -c "$LIB append --batch $n --writers $c --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-n$n-c$c-r$rep.log' | grep '^| library'"
      done
    done
  done
  cell "library append-hot: 16 writers, one stream" - \
    bash -c "$LIB append-hot --writers 16 --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-hot.log' | grep '^| library'"
  cell "library append-hot-aggregate: 16 writers, one aggregate, commands in turn" - \
    bash -c "$LIB append-hot-aggregate --writers 16 --in-turn true --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-hot-aggregate-turn.log' | grep '^| library'"
  cell "library append-hot-aggregate: 16 writers, one aggregate, commands racing" - \
    bash -c "$LIB append-hot-aggregate --writers 16 --in-turn false --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-hot-aggregate-race.log' | grep '^| library'"
  cell "library append-contention: 32 writers on 16 shared streams" - \
    bash -c "$LIB append-contention --writers 32 --streams 16 --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-contention.log' | grep '^| library'"
  cell "library append-conditional: 16 deciders on disjoint tags" - \
    bash -c "$LIB append-conditional --writers 16 --seconds $DURATION --warmup $WARMUP 2>&1 | tee '$RESULTS/lib-append-conditional.log' | grep '^| library'"
fi
if has pgbench; then
  for rep in $(seq 1 "$REPS"); do
    for n in $BATCHES; do
      for c in $CLIENTS; do
        cell "pgbench on the library's append statement n=$n clients=$c" "$RESULTS/pgbench-libsql.csv" \
          env REPS=1 BATCHES="$n" CLIENTS="$c" "$HERE/pgbench/run-pgbench-libsql.sh"
      done
    done
  done
  for n in $BATCHES; do
    for c in $NOTIFY_CLIENTS; do
      cell "pgbench diagnostic: the same statement with pg_notify inside n=$n clients=$c" "$RESULTS/pgbench-libsql.csv" \
        env REPS=1 WITH_NOTIFY=1 BATCHES="$n" CLIENTS="$c" "$HERE/pgbench/run-pgbench-libsql.sh"
    done
  done
fi
if has floor; then
  for n in $BATCHES; do
    for c in $FLOOR_CLIENTS; do
      cell "pgbench on the designed append's floor n=$n clients=$c (insert, claim, pipeline)" "$RESULTS/pgbench-floor.csv" \
        env REPS=1 BATCHES="$n" CLIENTS="$c" "$HERE/pgbench/run-pgbench-floor.sh"
    done
  done
fi
# with_server_cpu TOOL N C cmd...: runs an anchor's write cell and, inside its measured window (the seconds
# the anchors' own vmstat covers), PostgreSQL's CPU time, as a line of server-cpu.csv; a rerun of a disturbed
# cell adds a later line, and summarize.py takes the last one per cell.
with_server_cpu() {
  local tool=$1 n=$2 c=$3; shift 3
  local out; out=$(mktemp)
  "$HERE/server-cpu.sh" -q "$((WARMUP + 3))" "$((DURATION - 2))" > "$out" &
  local meter=$!
  "$@"; local rc=$?
  wait "$meter" || true
  [ -f "$RESULTS/server-cpu.csv" ] || echo "tool,batch,clients,server_cpu_s,seconds" > "$RESULTS/server-cpu.csv"
  echo "$tool,$n,$c,$(cat "$out"),$((DURATION - 2))" >> "$RESULTS/server-cpu.csv"
  rm -f "$out"
  return "$rc"
}
for tool in axon jdbc; do
  has "${tool}write" || continue
  for rep in $(seq 1 "$REPS"); do
    for n in $BATCHES; do
      for c in $CLIENTS; do
        cell "$tool write n=$n threads=$c (anchors' axon/run-java.sh write $tool)" "$RESULTS/java-write.csv" \
          with_server_cpu "$tool" "$n" "$c" \
          env REPS=1 BATCHES="$n" CLIENTS="$c" JAVA_DURATION="$DURATION" JAVA_WARMUP="$WARMUP" "$ANCHORS/axon/run-java.sh" write "$tool"
      done
    done
  done
done
if has reads; then
  cell "SQL reads of $EVENTS events (anchors' read/run-read.sh)" "$RESULTS/read.csv" env REPS=3 "$ANCHORS/read/run-read.sh"
  cell "plain JDBC read (anchors' axon/run-java.sh read jdbc)" "$RESULTS/read.csv" env REPS=3 "$ANCHORS/axon/run-java.sh" read jdbc
  cell "Axon read (anchors' axon/run-java.sh read axon)" "$RESULTS/read.csv" env REPS=3 "$ANCHORS/axon/run-java.sh" read axon
fi
if has libload; then
  cell "library load: $EVENTS events, $JOPTS" - \
    bash -c "$LIB load --events $EVENTS --reps 3 --populate auto 2>&1 | tee '$RESULTS/lib-load-1g.log' | grep -v '^RESULT'"
  cell "library load: $EVENTS events, -Xms64m -Xmx64m" - \
    bash -c "java -Xms64m -Xmx64m -XX:+UseG1GC -cp '$CP' io.reactivees.benchmarks.Main load --events $EVENTS --reps 1 --populate never --label library-load-64m 2>&1 | tee '$RESULTS/lib-load-64m.log' | grep -v '^RESULT'"
  cell "diagnostic: load-variants on the same $EVENTS events (hand-written R2DBC readers, one change each)" - \
    bash -c "$LIB load-variants --reps 1 2>&1 | tee '$RESULTS/lib-load-variants.log' | grep -v '^RESULT'"
  if [ "${BIG_EVENTS:-0}" -gt 0 ]; then
    cell "library load: $BIG_EVENTS events, -Xms64m -Xmx64m (populate, then one pass)" - \
      bash -c "java -Xms64m -Xmx64m -XX:+UseG1GC -cp '$CP' io.reactivees.benchmarks.Main load --events $BIG_EVENTS --reps 1 --warm-pass false --populate auto --label library-load-64m-$BIG_EVENTS 2>&1 | tee '$RESULTS/lib-load-big.log' | grep -v '^RESULT'"
  fi
fi
if has libtail; then
  for s in 1 1000; do
    cell "library live tail: $s subscriber(s) at $TAIL_RATE appends/s" - \
      bash -c "$LIB tail --subscribers $s --rate $TAIL_RATE --seconds $TAIL_SECONDS --warmup $TAIL_WARMUP 2>&1 | tee '$RESULTS/lib-tail-$s.log' | grep -v '^RESULT'"
  done
fi
log "done in $(( ($(date +%s) - T0) / 60 )) min"
{
  echo "# Benchmark run $(basename "$OUT")"; echo
  echo '```'; cat "$RESULTS/environment.txt"; echo '```'; echo
  python3 "$HERE/summarize.py" "$RESULTS"
  echo; echo "## Timeline"; echo; echo '```'; cat "$RESULTS/timeline.txt"; echo '```'
} > "$OUT/summary.md"
cp "$RESULTS/environment.txt" "$OUT/environment.txt"
echo; cat "$OUT/summary.md"
