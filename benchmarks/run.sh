#!/usr/bin/env bash
# Reproduces the whole comparison in ONE session (see benchmarks/README.md):
#   library append matrix -> pgbench on the library's own append SQL -> Axon + plain JDBC write matrices
#   -> SQL / JDBC / Axon reads of 1M events -> library load (1 GB heap, 64 MB heap, big table) -> live tail.
# Run as root from anywhere (the anchors' lib.sh may start PostgreSQL and create role/DBs). Never run two
# benchmarks at once; before every step the script waits until the machine is idle (see wait_quiet).
#
#   benchmarks/run.sh                                  # ~40 min: 1 rep, 15 s cells after 3 s warm-up
#   DURATION=5 WARMUP=2 BIG_EVENTS=2000000 TAIL_SECONDS=8 benchmarks/run.sh   # quick smoke
#
# Env: DURATION WARMUP REPS (write cells), BATCHES, CLIENTS, EVENTS (1M reads), BIG_EVENTS (10M, flat-heap check),
#      TAIL_RATE TAIL_SECONDS TAIL_WARMUP, NONOTIFY_CLIENTS ("16"; "" skips the pg_notify diagnostic),
#      ANCHORS (/work/shared/bench-anchors), OUT (benchmarks/results/<date>), JOPTS, SKIP_BUILD=1, STEPS (all).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
export ANCHORS=${ANCHORS:-/work/shared/bench-anchors}
OUT=${OUT:-$HERE/results/$(date +%F)}
export RESULTS=$OUT/raw
mkdir -p "$RESULTS"
source "$ANCHORS/lib.sh"

export DURATION=${DURATION:-15} WARMUP=${WARMUP:-3} REPS=${REPS:-1}
export BATCHES=${BATCHES:-"1 10"} CLIENTS=${CLIENTS:-"1 4 16 64"} EVENTS=${EVENTS:-1000000}
BIG_EVENTS=${BIG_EVENTS:-10000000}
TAIL_RATE=${TAIL_RATE:-100} TAIL_SECONDS=${TAIL_SECONDS:-20} TAIL_WARMUP=${TAIL_WARMUP:-5}
NONOTIFY_CLIENTS=${NONOTIFY_CLIENTS-16}
STEPS=${STEPS:-"build libappend pgbench axonwrite jdbcwrite reads libload libtail"}
export JOPTS=${JOPTS:-"-Xms1g -Xmx1g -XX:+UseG1GC"}
CP="$HERE/target/classes:$HERE/target/lib/*"
export BENCH_JAVA="java -Xms256m -Xmx1g -cp $CP io.reactivees.benchmarks.Main"
LIB="java $JOPTS -cp $CP io.reactivees.benchmarks.Main"
has() { [[ " $STEPS " == *" $1 "* ]]; }
log() { echo "[$(date +%T)] $*" | tee -a "$RESULTS/timeline.txt"; }

# Waits until the whole machine is idle (busy < QUIET_BUSY % over 3 s), so another job's load does not
# land in a cell; gives up after QUIET_TIMEOUT s and notes it in the timeline.
wait_quiet() {
  local deadline=$(( $(date +%s) + ${QUIET_TIMEOUT:-900} )) waited=0
  while :; do
    read -r _ u n s i w q sq st _ < /proc/stat; local t0=$((u+n+s+i+w+q+sq+st)) i0=$((i+w))
    sleep 3
    read -r _ u n s i w q sq st _ < /proc/stat; local t1=$((u+n+s+i+w+q+sq+st)) i1=$((i+w))
    local busy=$(( 100 - 100 * (i1 - i0) / (t1 - t0 > 0 ? t1 - t0 : 1) ))
    if [ "$busy" -lt "${QUIET_BUSY:-10}" ]; then
      [ "$waited" = 1 ] && log "machine idle again (busy ${busy}%)"
      return 0
    fi
    if [ "$(date +%s)" -gt "$deadline" ]; then log "WARNING: machine still ${busy}% busy; measuring anyway"; return 0; fi
    [ "$waited" = 0 ] && log "machine ${busy}% busy (another job?): waiting"
    waited=1; sleep 7
  done
}

ensure_pg
ensure_dbs
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
      wait_quiet; log "library append n=$n writers=${CLIENTS// /,} rep $rep"
      $LIB append --batch "$n" --writers "${CLIENTS// /,}" --seconds "$DURATION" --warmup "$WARMUP" 2>&1 | tee "$RESULTS/lib-append-n$n-r$rep.log" | grep -v '^RESULT'
    done
  done
  wait_quiet; log "library append-hot: 16 writers, one stream"
  $LIB append-hot --writers 16 --seconds "$DURATION" --warmup "$WARMUP" 2>&1 | tee "$RESULTS/lib-append-hot.log" | grep -v '^RESULT'
fi
if has pgbench; then
  wait_quiet; log "pgbench on the library's append statement"
  "$HERE/pgbench/run-pgbench-libsql.sh"
  if [ -n "$NONOTIFY_CLIENTS" ]; then
    wait_quiet; log "pgbench diagnostic: the same statement without pg_notify, clients $NONOTIFY_CLIENTS"
    NO_NOTIFY=1 CLIENTS="$NONOTIFY_CLIENTS" "$HERE/pgbench/run-pgbench-libsql.sh"
  fi
fi
if has axonwrite; then
  wait_quiet; log "Axon write matrix (anchors' axon/run-java.sh write axon)"
  JAVA_DURATION=$DURATION JAVA_WARMUP=$WARMUP "$ANCHORS/axon/run-java.sh" write axon
fi
if has jdbcwrite; then
  wait_quiet; log "plain JDBC write matrix (anchors' axon/run-java.sh write jdbc)"
  JAVA_DURATION=$DURATION JAVA_WARMUP=$WARMUP "$ANCHORS/axon/run-java.sh" write jdbc
fi
if has reads; then
  wait_quiet; log "SQL reads of $EVENTS events (anchors' read/run-read.sh)"
  REPS=3 "$ANCHORS/read/run-read.sh"
  wait_quiet; log "plain JDBC read (anchors' axon/run-java.sh read jdbc)"
  REPS=3 "$ANCHORS/axon/run-java.sh" read jdbc
  wait_quiet; log "Axon read (anchors' axon/run-java.sh read axon)"
  REPS=3 "$ANCHORS/axon/run-java.sh" read axon
fi
if has libload; then
  wait_quiet; log "library load: $EVENTS events, $JOPTS"
  $LIB load --events "$EVENTS" --reps 3 --populate always 2>&1 | tee "$RESULTS/lib-load-1g.log" | grep -v '^RESULT'
  wait_quiet; log "library load: $EVENTS events, -Xms64m -Xmx64m"
  java -Xms64m -Xmx64m -XX:+UseG1GC -cp "$CP" io.reactivees.benchmarks.Main load --events "$EVENTS" --reps 1 --populate never \
    --label library-load-64m 2>&1 | tee "$RESULTS/lib-load-64m.log" | grep -v '^RESULT'
  if [ "${BIG_EVENTS:-0}" -gt 0 ]; then
    wait_quiet; log "library load: $BIG_EVENTS events, -Xms64m -Xmx64m (populate, then one pass)"
    java -Xms64m -Xmx64m -XX:+UseG1GC -cp "$CP" io.reactivees.benchmarks.Main load --events "$BIG_EVENTS" --reps 1 --warm-pass false \
      --populate always --label "library-load-64m-$((BIG_EVENTS / 1000000))M" 2>&1 | tee "$RESULTS/lib-load-big.log" | grep -v '^RESULT'
  fi
fi
if has libtail; then
  wait_quiet; log "library live tail: 1 and 1000 subscribers at $TAIL_RATE appends/s"
  $LIB tail --subscribers 1,1000 --rate "$TAIL_RATE" --seconds "$TAIL_SECONDS" --warmup "$TAIL_WARMUP" 2>&1 | tee "$RESULTS/lib-tail.log" | grep -v '^RESULT'
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
