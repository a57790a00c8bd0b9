#!/usr/bin/env bash
# pgbench running the library's own append statement on the library's own schema ("bench" in database reactivees_bench),
# one stream per client (created at version 0 before the cell), same cell procedure as the anchors'
# pgbench/run-pgbench.sh. Needs: lib.sh sourced (PG env, EV_DATA/EV_META, RESULTS), $BENCH_JAVA (harness command).
# Env: BATCHES CLIENTS DURATION REPS; WITH_NOTIFY=1 runs the diagnostic variant with pg_notify inside the statement.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "${ANCHORS:-/work/shared/bench-anchors}/lib.sh"
BENCH_JAVA=${BENCH_JAVA:-"java -Xms256m -Xmx1g -cp $HERE/../target/classes:$HERE/../target/lib/* io.reactivees.benchmarks.Main"}
BATCHES=${BATCHES:-"1 10"}; CLIENTS=${CLIENTS:-"1 4 16 64"}; DURATION=${DURATION:-15}; REPS=${REPS:-1}
TOOL=pgbench-libsql; [ "${WITH_NOTIFY:-0}" = 1 ] && TOOL=pgbench-libsql-withnotify
CSV=$RESULTS/pgbench-libsql.csv
[ -f "$CSV" ] || echo "tool,batch,clients,rep,tps,events_per_s,lat_avg_ms,failed,cpu_us,cpu_sy,cpu_id,cpu_wa" > "$CSV"
S=${BENCH_SCHEMA:-bench}
LIB_DB=${LIB_DB:-reactivees_bench}   # the library's own database (see Bench.connectionFactory)
psql_lib() { "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -d "$LIB_DB" "$@"; }
for n in $BATCHES; do
  $BENCH_JAVA append-sql --batch "$n" | grep '^SQL ' > "$RESULTS/libsql-n$n.sql"
  python3 "$HERE/make-script.py" "$RESULTS/libsql-n$n.sql" "$n" "$RESULTS/$TOOL-n$n.pgbench" "$RESULTS/$TOOL-n$n.vars" \
    $([ "${WITH_NOTIFY:-0}" = 1 ] && echo --with-notify)
done
for rep in $(seq 1 "$REPS"); do
 for n in $BATCHES; do
  DARGS=(); while IFS= read -r line; do DARGS+=(-D "$line"); done < "$RESULTS/$TOOL-n$n.vars"
  for c in $CLIENTS; do
    run="r${rep}n${n}c${c}"
    j=$(( c < 2 ? 1 : 2 ))
    $BENCH_JAVA reset > /dev/null
    psql_lib -q -c "INSERT INTO \"$S\".streams SELECT 'pgb-' || g, 'pgb', 0 FROM generate_series(0, $c - 1) g" \
      -c "VACUUM ANALYZE \"$S\".streams" -c "CHECKPOINT"
    log=$RESULTS/$TOOL-$run.log
    vmstat 1 "$((DURATION + 1))" > "$RESULTS/vmstat-$TOOL-$run.log" &
    vpid=$!
    "$PGBIN/pgbench" -n -M prepared -f "$RESULTS/$TOOL-n$n.pgbench" -c "$c" -j "$j" -T "$DURATION" "${DARGS[@]}" "$LIB_DB" > "$log" 2>&1 || true
    wait "$vpid" || true
    tps=$(awk -F'= ' '/^tps =/ {split($2,a," "); print a[1]}' "$log")
    lat=$(awk -F'= ' '/^latency average/ {split($2,a," "); print a[1]}' "$log")
    failed=$(awk -F': ' '/number of failed transactions/ {split($2,a," "); print a[1]}' "$log")
    grep -q "aborted" "$log" && failed="ABORTED"
    cpu=$(vmstat_avg "$RESULTS/vmstat-$TOOL-$run.log" | tr ' ' '\n' | cut -d= -f2 | paste -sd,)
    eps=$(awk -v t="${tps:-0}" -v n="$n" 'BEGIN {printf "%.0f", t*n}')
    events=$(psql_lib -Atc "select count(*) from \"$S\".events")
    echo "$TOOL,$n,$c,$rep,${tps:-NA},$eps,${lat:-NA},${failed:-NA},$cpu" | tee -a "$CSV"
    echo "  (events in table after the cell: $events)" >&2
  done
 done
done
