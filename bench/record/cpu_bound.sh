#!/usr/bin/env bash
# Profiler overhead on a CPU-bound target, measured by the target's own work
# counter: tests/programs/hot pinned to CPU 0 reports how many work units it
# finished in SECS seconds, unprofiled, under `loadprof record` and under
# `perf record -g` at 99 and 999 Hz (profilers unpinned, so the sampling
# interrupt and BPF program land on the target's CPU as in production). Each
# round runs every side once, unprofiled first; loss is against that round's
# unprofiled run. Prints median and spread per side.
#
#   bench/record/cpu_bound.sh [ROUNDS=7] [SECS=5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-7}
SECS=${2:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/hot}
command -v perf >/dev/null || { apt-get update -qq && apt-get install -y -qq linux-perf >/dev/null; }
work=$(mktemp -d)
trap 'rm -rf $work' EXIT

calls() { grep -o 'calls=[0-9]*' "$1" | cut -d= -f2; }
sides=(none loadprof99 loadprof999 perf99 perf999)
: > $work/rows
for round in $(seq 1 "$ROUNDS"); do
  base=""
  for side in "${sides[@]}"; do
    hz=${side//[!0-9]/}
    case $side in
      none)      taskset -c 0 $PROG $SECS > $work/out ;;
      loadprof*) $LOADPROF record --frequency $hz --output $work/c.lpc -- taskset -c 0 $PROG $SECS > $work/out 2>/dev/null ;;
      perf*)     perf record -q -g -F $hz -o $work/p.data -- taskset -c 0 $PROG $SECS > $work/out 2>/dev/null ;;
    esac
    n=$(calls $work/out)
    [ -z "$base" ] && base=$n
    loss=$(awk -v b=$base -v r=$n 'BEGIN {printf "%.2f", 100 * (b - r) / b}')
    echo "$side $n $loss" >> $work/rows
    echo "round $round $side $n units, loss $loss %" >&2
  done
done

echo "Target: $PROG pinned to CPU 0 for ${SECS} s per run, $ROUNDS rounds; load average $(cut -d' ' -f1 /proc/loadavg) at the end."
echo
echo "| side | median work units | median loss vs same-round none | spread (min..max) |"
echo "|---|---:|---:|---|"
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for side in ["none", "loadprof99", "loadprof999", "perf99", "perf999"]:
    r = [x for x in rows if x[0] == side]
    units = statistics.median(int(x[1]) for x in r)
    loss = sorted(float(x[2]) for x in r)
    print(f"| {side} | {units:.0f} | {statistics.median(loss):.2f} % | {loss[0]:.2f}..{loss[-1]:.2f} % |")
PY
