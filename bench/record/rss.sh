#!/usr/bin/env bash
# Recorder memory over a long recording (SPEC: < 100 MiB RSS however long it
# runs). `loadprof record` (pinned to CPU 1) records tests/programs/hot (one
# CPU-bound thread pinned to CPU 0) for SECS seconds at each frequency; its
# VmRSS/VmHWM and its own CPU time (threads' schedstat, the target excluded) are
# sampled from /proc every second by proc_sample.py. Prints, per frequency: peak
# RSS (VmHWM and wait4's maxrss), RSS at a quarter, half, three quarters and the
# end, the RSS slope over the second half (least squares, MiB per minute: ~0
# means bounded), and the recorder's CPU (total, and ms per s over the second
# half). WITH_PERF=1 adds `perf record -g` the same way (the anchor).
#
#   bench/record/rss.sh [SECS=600] [FREQUENCIES="99 999"]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/hot),
#        CPU_TARGET (0), CPU_PROFILER (1), WITH_PERF (0)
#
# The target has few distinct stacks, so this bounds the recorder's fixed and
# per-sample memory, not the growth with the number of distinct stacks.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
SECS=${1:-600}
FREQS=${2:-"99 999"}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/hot}
CPU_TARGET=${CPU_TARGET:-0}
CPU_PROFILER=${CPU_PROFILER:-1}
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
[ "${WITH_PERF:-0}" = 1 ] && need perf linux-perf
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "load average before: $(loadavg)"
sides=()
for hz in $FREQS; do
  sides+=("loadprof $hz")
  [ "${WITH_PERF:-0}" = 1 ] && sides+=("perf $hz")
done
for s in "${sides[@]}"; do
  read -r tool hz <<< "$s"
  case $tool in
    loadprof) cmd=("$LOADPROF" record --frequency "$hz" --duration "${SECS}s" --output "$work/c.lpc") ;;
    perf) cmd=(perf record -q -g -F "$hz" -o "$work/p.data") ;;
  esac
  # The target runs 2 s longer than the recording: the recording ends by its duration.
  python3 bench/record/proc_sample.py --interval 1 --out "$work/rows.$tool.$hz" \
    --stdout /dev/null --stderr "$work/err.$tool.$hz" -- \
    taskset -c "$CPU_PROFILER" "${cmd[@]}" -- taskset -c "$CPU_TARGET" "$PROG" $((SECS + 2)) ||
    { echo "$tool at $hz Hz failed:" >&2; cat "$work/err.$tool.$hz" >&2; exit 1; }
  echo "$tool $hz Hz done: $(grep -h recorded "$work/err.$tool.$hz" || true)" >&2
done
echo "load average after: $(loadavg)"

echo
echo "Recorder pinned to CPU $CPU_PROFILER, target $(basename "$PROG") pinned to CPU $CPU_TARGET, ${SECS} s per recording."
echo
python3 - "$work" "${sides[@]}" <<'PY'
import re, sys
work, sides = sys.argv[1], sys.argv[2:]
print("| recorder | Hz | samples | peak RSS MiB (VmHWM / wait4) | RSS MiB at 1/4, 1/2, 3/4, end | RSS slope, 2nd half (MiB/min) | CPU total s | CPU ms per s, 2nd half |")
print("|---|---:|---:|---|---|---:|---:|---:|")
def slope(xs, ys):
    n = len(xs)
    if n < 2:
        return float("nan")
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx if sxx else float("nan")
for s in sides:
    tool, hz = s.split()
    rows, end = [], None
    for line in open(f"{work}/rows.{tool}.{hz}"):
        f = line.split()
        if f[0] == "end":
            end = f
        elif f[0] != "start_realtime_ns":
            rows.append((float(f[0]), int(f[1]) / 1024, int(f[2]) / 1024, float(f[3])))
    err = open(f"{work}/err.{tool}.{hz}").read()
    m = re.search(r"recorded (\d+) samples", err)
    samples = m.group(1) if m else "—"
    hwm = max(r[2] for r in rows)
    maxrss = int(end[3]) / 1024
    at = [rows[min(len(rows) - 1, int(len(rows) * q))][1] for q in (0.25, 0.5, 0.75)] + [rows[-1][1]]
    half = rows[len(rows) // 2:]
    rss_slope = slope([r[0] / 60 for r in half], [r[1] for r in half])
    cpu_rate = slope([r[0] for r in half], [r[3] for r in half])  # ms of CPU per s
    print(f"| {tool} | {hz} | {samples} | {hwm:.1f} / {maxrss:.1f} | {', '.join(f'{x:.1f}' for x in at)} | "
          f"{rss_slope:+.3f} | {rows[-1][3] / 1000:.2f} | {cpu_rate:.2f} |")
PY
