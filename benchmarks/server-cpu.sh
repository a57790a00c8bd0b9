#!/usr/bin/env bash
# The CPU time (user + system) that all of this machine's PostgreSQL processes used over a window, for
# a peer that does not count its server's cost itself (the anchors; the library's cells print it per
# append). Start it beside a cell, timed to fall inside the cell's measured seconds:
#   benchmarks/server-cpu.sh [-q] DELAY SECONDS    waits DELAY seconds, then measures for SECONDS
# Prints the CPU seconds and the share of one core (with -q only the CPU seconds). Divide by the appends
# of the same seconds; run.sh does so for the anchors' write cells (server-cpu.csv, summarize.py).
#
# It reads every process's counters once a second and adds up each one's growth, so that a backend that
# ends inside the window (a peer closing its connections) takes away nothing already counted; the part of
# a second that such a backend ran before it ended, and a backend that lived less than a second, are
# missed.
set -euo pipefail
quiet=0; [ "${1:-}" = -q ] && { quiet=1; shift; }
delay=${1:?DELAY}; seconds=${2:?SECONDS}
declare -A last=()
total=0
# sample: adds each process's ticks since the last sample (all of them for a process new since then)
sample() {
  local -A now=()
  local pid stat fields
  for pid in $(pgrep -x postgres || true); do
    # a builtin read, no process per backend: on a saturated machine forking one each made a sample
    # outlast the cell it measured
    { read -r stat < "/proc/$pid/stat"; } 2>/dev/null || continue
    read -r -a fields <<< "${stat##*) }"
    now[$pid]=$((fields[11] + fields[12])) # utime, stime (fields 14 and 15 of stat)
  done
  if [ "${1:-}" = count ]; then
    for pid in "${!now[@]}"; do
      total=$((total + now[$pid] - ${last[$pid]:-0}))
    done
  fi
  last=()
  for pid in "${!now[@]}"; do last[$pid]=${now[$pid]}; done
}
sleep "$delay"
sample
for _ in $(seq 1 "$seconds"); do
  sleep 1
  sample count
done
hz=$(getconf CLK_TCK)
awk -v t="$total" -v hz="$hz" -v s="$seconds" -v q="$quiet" \
  'BEGIN { if (q) printf "%.2f\n", t / hz; else printf "server CPU: %.2f s in %s s (%.0f %% of a core)\n", t / hz, s, 100 * t / hz / s }'
