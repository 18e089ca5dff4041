#!/usr/bin/env bash
# Profiler overhead on a CPU-bound target, measured by the target's own work
# counter: tests/programs/hot pinned to CPU 0 reports how many work units it
# finished in SECS seconds, unprofiled, under `loadprof record` and under
# `perf record -g` at 99 and 999 Hz (profilers unpinned, so the sampling
# interrupt and BPF program land on the target's CPU as in production).
#
# Each round runs every side once plus a second unprofiled run (none2); the
# order is reversed every other round, so no side always runs first or right
# after another. Loss is against the `none` run of the same round; none2's
# "loss" is the noise floor, stated next to every loss (bench/record/loss_table.py).
# Also the profiler's own CPU while the target ran (its threads' schedstat, read
# by the target's parent shell before and after), the cost itself next to the
# loss. Prints median and spread per side.
#
#   bench/record/cpu_bound.sh [ROUNDS=7] [SECS=5]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/hot)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-7}
SECS=${2:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/hot}
need perf linux-perf
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

calls() { grep -o 'calls=[0-9]*' "$1" | cut -d= -f2; }
# A profiled run's command: its parent is the profiler, so it reads the profiler's CPU time (all
# threads, /proc/PPID/task/*/schedstat) just before and just after the target's run.
hook="cat /proc/\$PPID/task/*/schedstat > $work/cpu0; taskset -c 0 $PROG $SECS; cat /proc/\$PPID/task/*/schedstat > $work/cpu1"
sides=(none loadprof99 perf99 none2 loadprof999 perf999)
load_before=$(loadavg)
: > "$work/rows"
for round in $(seq 1 "$ROUNDS"); do
  order=("${sides[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[$i]}"); done
  fi
  for side in "${order[@]}"; do
    hz=${side//[!0-9]/}
    case $side in
      none*)     taskset -c 0 "$PROG" "$SECS" > "$work/out" ;;
      loadprof*) "$LOADPROF" record --frequency "$hz" --output "$work/c.lpc" -- sh -c "$hook" > "$work/out" 2>/dev/null ;;
      perf*)     perf record -q -g -F "$hz" -o "$work/p.data" -- sh -c "$hook" > "$work/out" 2>/dev/null ;;
    esac
    n=$(calls "$work/out")
    cpu=-
    if [[ $side != none* ]]; then
      cpu=$(awk -v secs="$SECS" 'FNR == NR {a += $1; next} {b += $1} END {printf "%.2f", (b - a) / 1e6 / secs}' \
              "$work/cpu0" "$work/cpu1")
    fi
    echo "$round $side $n $cpu" >> "$work/rows"
    echo "round $round $side $n units, profiler ${cpu} ms CPU per s" >&2
  done
done

echo "Target: $PROG pinned to CPU 0 for ${SECS} s per run, $ROUNDS rounds (order reversed every other round);"
echo "load average before: $load_before; after: $(loadavg)."
echo
python3 bench/record/loss_table.py "$work/rows" --value "work units" \
  --extra "profiler CPU while the target ran (ms per s)"
