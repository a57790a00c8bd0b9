#!/usr/bin/env bash
# The floor of the append DESIGN.md fixes, measured with pgbench on the library's own schema (same cell
# procedure as run-pgbench-libsql.sh, cell.sh): what the server and one round trip cost when no client library
# and no PL/pgSQL are in the way. Three scripts in floor/, each a lower bound of the one after it:
#   insert    the events row(s) alone (five indexes; no claim, no locks, no id check)
#   claim     claim + id pre-check + insert as one plain SQL statement (no advisory locks)
#   pipeline  the advisory locks and the claim statement pipelined in one round trip and one transaction:
#             everything the designed append does, in the cheapest form a client can send
# Compare them with Axon's cell of the same batch and clients in the same session (benchmarks/README.md,
# thirteenth pass). Needs: the anchors' lib.sh (PG env, EV_DATA/EV_META, RESULTS), $BENCH_JAVA.
# Env: BATCHES ("1 10") CLIENTS ("1") DURATION (15) REPS (1) FLOORS ("insert claim pipeline").
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
source "${ANCHORS:-/work/shared/bench-anchors}/lib.sh"
BENCH_JAVA=${BENCH_JAVA:-"java -Xms256m -Xmx1g -cp $HERE/../target/classes:$HERE/../target/lib/* io.reactivees.benchmarks.Main"}
BATCHES=${BATCHES:-"1 10"}; CLIENTS=${CLIENTS:-"1"}; DURATION=${DURATION:-15}; REPS=${REPS:-1}
FLOORS=${FLOORS:-"insert claim pipeline"}
source "$HERE/cell.sh"
CSV=$RESULTS/pgbench-floor.csv
for floor in $FLOORS; do
  sed "s/@S@/$PGB_SCHEMA/g" "$HERE/floor/$floor.pgbench" > "$RESULTS/pgbench-floor-$floor.pgbench"
done
for rep in $(seq 1 "$REPS"); do
 for n in $BATCHES; do
  for c in $CLIENTS; do
   for floor in $FLOORS; do
    pgbench_cell "floor-$floor" "$n" "$c" "$rep" "$RESULTS/pgbench-floor-$floor.pgbench" "$CSV" \
      -D "n=$n" -D v=0 -D "data=$EV_DATA" -D "meta=$EV_META"
   done
  done
 done
done
