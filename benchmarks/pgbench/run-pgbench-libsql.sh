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
source "$HERE/cell.sh"
CSV=$RESULTS/pgbench-libsql.csv
for n in $BATCHES; do
  $BENCH_JAVA append-sql --batch "$n" | grep '^SQL ' > "$RESULTS/libsql-n$n.sql"
  python3 "$HERE/make-script.py" "$RESULTS/libsql-n$n.sql" "$n" "$RESULTS/$TOOL-n$n.pgbench" "$RESULTS/$TOOL-n$n.vars" \
    $([ "${WITH_NOTIFY:-0}" = 1 ] && echo --with-notify)
done
for rep in $(seq 1 "$REPS"); do
 for n in $BATCHES; do
  DARGS=(); while IFS= read -r line; do DARGS+=(-D "$line"); done < "$RESULTS/$TOOL-n$n.vars"
  for c in $CLIENTS; do
    pgbench_cell "$TOOL" "$n" "$c" "$rep" "$RESULTS/$TOOL-n$n.pgbench" "$CSV" "${DARGS[@]}"
  done
 done
done
