# One pgbench cell on the library's own schema, the procedure every pgbench script here shares (and the
# anchors' pgbench/run-pgbench.sh): reset the schema, create the clients' streams ('pgb-<client>' at
# version 0), VACUUM ANALYZE and CHECKPOINT, run pgbench -M prepared under vmstat, and append one CSV line.
# Source it after the anchors' lib.sh; needs $BENCH_JAVA (harness command), $RESULTS, $DURATION.
# Env: BENCH_SCHEMA (bench), LIB_DB (reactivees_bench).
PGB_SCHEMA=${BENCH_SCHEMA:-bench}
LIB_DB=${LIB_DB:-reactivees_bench}   # the library's own database (see Bench.connectionFactory)
PGB_CSV_HEADER="tool,batch,clients,rep,tps,events_per_s,lat_avg_ms,failed,cpu_us,cpu_sy,cpu_id,cpu_wa"
psql_lib() { "$PGBIN/psql" -X -v ON_ERROR_STOP=1 -d "$LIB_DB" "$@"; }

# pgbench_cell TOOL N CLIENTS REP SCRIPT CSV [pgbench -D arguments...]
pgbench_cell() {
  local tool=$1 n=$2 c=$3 rep=$4 script=$5 csv=$6; shift 6
  local run="r${rep}n${n}c${c}" j=$(( c < 2 ? 1 : 2 ))
  [ -f "$csv" ] || echo "$PGB_CSV_HEADER" > "$csv"
  $BENCH_JAVA reset > /dev/null
  psql_lib -q -c "INSERT INTO \"$PGB_SCHEMA\".streams SELECT 'pgb-' || g, 'pgb', 0 FROM generate_series(0, $c - 1) g" \
    -c "VACUUM ANALYZE \"$PGB_SCHEMA\".streams" -c "CHECKPOINT"
  local log=$RESULTS/$tool-$run.log
  vmstat 1 "$((DURATION + 1))" > "$RESULTS/vmstat-$tool-$run.log" &
  local vpid=$!
  "$PGBIN/pgbench" -n -M prepared -f "$script" -c "$c" -j "$j" -T "$DURATION" "$@" "$LIB_DB" > "$log" 2>&1 || true
  wait "$vpid" || true
  local tps lat failed cpu eps events
  tps=$(awk -F'= ' '/^tps =/ {split($2,a," "); print a[1]}' "$log")
  lat=$(awk -F'= ' '/^latency average/ {split($2,a," "); print a[1]}' "$log")
  failed=$(awk -F': ' '/number of failed transactions/ {split($2,a," "); print a[1]}' "$log")
  grep -q "aborted" "$log" && failed="ABORTED"
  cpu=$(vmstat_avg "$RESULTS/vmstat-$tool-$run.log" | tr ' ' '\n' | cut -d= -f2 | paste -sd,)
  eps=$(awk -v t="${tps:-0}" -v n="$n" 'BEGIN {printf "%.0f", t*n}')
  events=$(psql_lib -Atc "select count(*) from \"$PGB_SCHEMA\".events")
  echo "$tool,$n,$c,$rep,${tps:-NA},$eps,${lat:-NA},${failed:-NA},$cpu" | tee -a "$csv"
  echo "  (events in table after the cell: $events)" >&2
}
