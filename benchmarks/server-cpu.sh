#!/usr/bin/env bash
# The CPU time (user + system) that all of this machine's PostgreSQL processes used over a window, for
# a peer that does not count its server's cost itself (the anchors; the library's cells print it per
# append). Start it beside a cell, timed to fall inside the cell's measured seconds:
#   benchmarks/server-cpu.sh [-q] DELAY SECONDS    waits DELAY seconds, then measures for SECONDS
# Prints the CPU seconds and the share of one core (with -q only the CPU seconds). Divide by the appends
# of the same seconds; run.sh does so for the anchors' write cells (server-cpu.csv, summarize.py).
set -euo pipefail
quiet=0; [ "${1:-}" = -q ] && { quiet=1; shift; }
delay=${1:?DELAY}; seconds=${2:?SECONDS}
ticks() {
  local total=0 stat fields
  for pid in $(pgrep -x postgres || true); do
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || continue
    read -r -a fields <<< "${stat##*) }"
    total=$((total + fields[11] + fields[12])) # utime, stime (fields 14 and 15 of stat)
  done
  echo "$total"
}
sleep "$delay"
before=$(ticks)
sleep "$seconds"
after=$(ticks)
hz=$(getconf CLK_TCK)
awk -v t=$((after - before)) -v hz="$hz" -v s="$seconds" -v q="$quiet" \
  'BEGIN { if (q) printf "%.2f\n", t / hz; else printf "server CPU: %.2f s in %s s (%.0f %% of a core)\n", t / hz, s, 100 * t / hz / s }'
