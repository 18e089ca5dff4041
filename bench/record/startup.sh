#!/usr/bin/env bash
# Recorder start-up: how long `loadprof record -- CMD` takes from its start to
# the command running (the command is released only once loadprof is attached
# and sampling, SPEC), the recorder's CPU by then, and its CPU over the first
# seconds (first symbolization, /proc scans) against its steady rate (from 2 s
# after the release to 1 s before the end; SECS >= 5 for one). The anchor
# `perf record -g -- CMD` is measured the same way (perf also starts its workload
# only once its events are enabled).
#
# CMD is a hook, `sh -c 'date +%s%N > T; cat /proc/$PPID/task/*/schedstat > C;
# exec taskset -c CPU_TARGET hot ...'`: its parent is the profiler, so it stamps
# the moment it runs and the profiler's CPU time (all threads) at that moment.
# proc_sample.py samples the profiler's CPU every 50 ms from its spawn. The
# profiler is pinned to CPU_PROFILER, the target to CPU_TARGET; the order of the
# two sides alternates between rounds. Median and spread (min..max).
#
#   bench/record/startup.sh [ROUNDS=5] [HZ=99] [SECS=6]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/hot),
#        CPU_TARGET (0), CPU_PROFILER (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
HZ=${2:-99}
SECS=${3:-6}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/hot}
CPU_TARGET=${CPU_TARGET:-0}
CPU_PROFILER=${CPU_PROFILER:-1}
need python3 python3
need taskset util-linux
need perf linux-perf
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$(realpath "$PROG")

echo "load average before: $(loadavg); processes on the machine: $(find /proc -maxdepth 1 -name '[0-9]*' | wc -l)"
: > "$work/results"
one() {  # one SIDE ROUND
  local side=$1 r=$2 cmd
  case $side in
    loadprof) cmd=("$LOADPROF" record --frequency "$HZ" --duration "${SECS}s" --output "$work/c.lpc") ;;
    perf) cmd=(perf record -q -g -F "$HZ" -o "$work/p.data") ;;
  esac
  rm -f "$work/started" "$work/cpu_at_start"
  # perf has no --duration: the target's own length ends its recording.
  local target_secs=$((SECS + 2))
  [ "$side" = perf ] && target_secs=$SECS
  python3 bench/record/proc_sample.py --interval 0.05 --out "$work/rows" --stdout /dev/null \
    --stderr "$work/err" -- taskset -c "$CPU_PROFILER" "${cmd[@]}" -- sh -c \
    "date +%s%N > $work/started; cat /proc/\$PPID/task/*/schedstat > $work/cpu_at_start; exec taskset -c $CPU_TARGET $prog $target_secs" ||
    { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; return 1; }
  python3 - "$work" "$side" "$r" >> "$work/results" <<'PY'
import sys
work, side, r = sys.argv[1:]
start_ns, rows = None, []
for line in open(f"{work}/rows"):
    f = line.split()
    if f[0] == "start_realtime_ns":
        start_ns = int(f[1])
    elif f[0] != "end":
        rows.append((float(f[0]), float(f[3])))
started_ns = int(open(f"{work}/started").read())
cpu_at_start = sum(int(l.split()[0]) for l in open(f"{work}/cpu_at_start")) / 1e6
release_s = (started_ns - start_ns) / 1e9
def cpu_at(t):  # linear between the samples around t
    prev = rows[0]
    for row in rows:
        if row[0] >= t:
            if row[0] == prev[0]:
                return row[1]
            return prev[1] + (row[1] - prev[1]) * (t - prev[0]) / (row[0] - prev[0])
        prev = row
    return rows[-1][1]
# Steady rate: from 2 s after the release to 1 s before the profiler's last sample
# (its stop, final drain and file writing excluded), least squares, ms of CPU per s.
win = [(x, y) for x, y in rows if release_s + 2 <= x <= rows[-1][0] - 1]
rate = float("nan")
if len(win) >= 10:
    n = len(win)
    mx, my = sum(x for x, _ in win) / n, sum(y for _, y in win) / n
    sxx = sum((x - mx) ** 2 for x, _ in win)
    rate = sum((x - mx) * (y - my) for x, y in win) / sxx if sxx else rate
print(side, r, f"{release_s * 1e3:.1f}", f"{cpu_at_start:.1f}", f"{cpu_at(release_s + 1) - cpu_at_start:.1f}",
      f"{cpu_at(release_s + 2) - cpu_at_start:.1f}", f"{rate:.2f}", f"{rows[-1][1]:.1f}")
PY
  echo "round $r $side: $(tail -1 "$work/results")" >&2
}
# A side that crashes (perf 6.1 has died here of "stack smashing detected" in
# its build-id code) is run again, at most twice, and the retry is said.
retries=0
side() {  # side SIDE ROUND
  local attempt
  for attempt in 1 2 3; do
    one "$1" "$2" && return 0
    retries=$((retries + 1))
    echo "round $2 $1: attempt $attempt failed, running it again" >&2
  done
  exit 1
}
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then side loadprof "$r"; side perf "$r"; else side perf "$r"; side loadprof "$r"; fi
done
echo "runs repeated after a crash: $retries"
echo "load average after: $(loadavg)"

echo
echo "${HZ} Hz, ${SECS} s recordings of $(basename "$PROG") (CPU $CPU_TARGET), profiler on CPU $CPU_PROFILER, $ROUNDS rounds; median (min..max)."
echo
python3 - "$work/results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
cols = ["start to target running, ms", "profiler CPU by then, ms", "CPU in the 1st s after, ms",
        "CPU in the first 2 s after, ms", "steady CPU, ms per s", "CPU whole run (with stop and write), ms"]
print("| side | " + " | ".join(cols) + " |")
print("|---|" + "---:|" * len(cols))
for side in ("loadprof", "perf"):
    r = [x for x in rows if x[0] == side]
    cells = []
    for i in range(2, 2 + len(cols)):
        v = sorted(float(x[i]) for x in r if x[i] != "nan")
        if not v:
            cells.append("— (run too short)")
            continue
        d = 2 if i == 6 else 1  # the steady rate is small: two decimals
        cells.append(f"{statistics.median(v):.{d}f} ({v[0]:.{d}f}..{v[-1]:.{d}f})")
    print(f"| {side} record | " + " | ".join(cells) + " |")
PY
