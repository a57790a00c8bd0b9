#!/usr/bin/env python3
"""Notes other jobs' CPU use while benchmarks run (used by run.sh).

Usage: monitor.py LOG OURS_REGEX [THRESHOLD_PERCENT]
Every second, sums the CPU time used by processes whose command line looks like a JVM, Maven or
pgbench and does NOT match OURS_REGEX (another helper's builds and tests); when that exceeds
THRESHOLD_PERCENT of one core (default 15), appends "epoch_seconds percent command..." to LOG.
A process that is alive but idle (e.g. a waiting Maven) is not reported.
"""
import os, re, sys, time

log, ours = sys.argv[1], re.compile(sys.argv[2])
threshold = float(sys.argv[3]) if len(sys.argv) > 3 else 15.0
watch = re.compile(r"java|mvn|pgbench|surefire|gradle")
tick = os.sysconf("SC_CLK_TCK")
me = os.getpid()
prev = {}
first = True


def sample():
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == me:
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace").strip()
            if not cmd or not watch.search(cmd) or ours.search(cmd):
                continue
            f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            out[pid] = (int(f[11]) + int(f[12]), cmd)  # utime + stime
        except (OSError, IndexError, ValueError):
            pass
    return out


while True:
    now = sample()
    if not first:
        used = 0
        busiest = None
        for pid, (t, cmd) in now.items():
            d = t - prev.get(pid, (0, ""))[0]  # a process born since the last sample counts whole
            used += d
            if busiest is None or d > busiest[0]:
                busiest = (d, cmd)
        pct = 100.0 * used / tick
        if pct >= threshold:
            with open(log, "a") as fh:
                fh.write(f"{int(time.time())} {pct:.0f}% {busiest[1][:150] if busiest else ''}\n")
    prev = now
    first = False
    time.sleep(1)
