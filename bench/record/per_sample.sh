#!/usr/bin/env bash
# What one sample costs the sampled thread, loadprof vs `perf record -g`: the
# CPU-bound tests/programs/hot, pinned to CPU_TARGET, counts its work units
# and its own CPU time (CLOCK_THREAD_CPUTIME, which on this kernel includes the
# interrupts taken while it ran: CONFIG_IRQ_TIME_ACCOUNTING is off). At F Hz
# every sample lands on it, so the drop in work per CPU-second against an
# unprofiled run, divided by F, is the time each sample took on its CPU —
# interrupt, stack walks, BPF program or perf's record — free of scheduling noise
# (other processes taking CPU 0 do not change work per CPU-second).
#
# Sides per round: none, loadprof, perf, none2 (the noise floor), order rotated
# and reversed every other round; the profilers run on CPU_PROFILER.
#
#   bench/record/per_sample.sh [ROUNDS=8] [HZ=4999] [SECS=3]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/hot), CPU_TARGET (0), CPU_PROFILER (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-8}
HZ=${2:-4999}
SECS=${3:-3}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/hot}
CPU_TARGET=${CPU_TARGET:-0}
CPU_PROFILER=${CPU_PROFILER:-1}
need perf linux-perf
need taskset util-linux
need python3 python3
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
load_before=$(loadavg)

# Work units per CPU-second of the target, from its GROUND_TRUTH line.
efficiency() { grep -o 'calls=[0-9]* .*total_cpu_ns=[0-9]*\|total_cpu_ns=[0-9]* .*calls=[0-9]*' "$1" >/dev/null
  python3 - "$1" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
calls = int(re.search(r"\bcalls=(\d+)", t).group(1))
cpu = int(re.search(r"\btotal_cpu_ns=(\d+)", t).group(1))
print(f"{calls / (cpu / 1e9):.1f}")
PY
}

sides=(none loadprof perf none2)
: > "$work/rows"
for round in $(seq 1 "$ROUNDS"); do
  mapfile -t order < <(round_order "$round" "${sides[@]}")
  for side in "${order[@]}"; do
    target=(taskset -c "$CPU_TARGET" "$PROG" "$SECS")
    case $side in
      none*) "${target[@]}" > "$work/out" ;;
      loadprof) taskset -c "$CPU_PROFILER" "$LOADPROF" record --frequency "$HZ" --output "$work/l.lpc" \
                  -- "${target[@]}" > "$work/out" 2> "$work/err" ;;
      perf) taskset -c "$CPU_PROFILER" perf record -q -g -F "$HZ" -o "$work/p.data" -- "${target[@]}" \
              > "$work/out" 2> "$work/err" ;;
    esac
    e=$(efficiency "$work/out")
    echo "$round $side $e" >> "$work/rows"
    echo "round $round $side: $e work units per CPU-second" >&2
  done
done

echo "Rounds: $ROUNDS x ${SECS} s of \`hot\` on CPU $CPU_TARGET at $HZ Hz (profilers on CPU $CPU_PROFILER)."
echo "Load average before: $load_before; after: $(loadavg). $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
python3 bench/record/loss_table.py "$work/rows" --value "work units per CPU-second"
echo
python3 - "$work/rows" "$HZ" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
hz = float(sys.argv[2])
base = {r[0]: float(r[2]) for r in rows if r[1] == "none"}
print("| side | time per sample on the sampled CPU, µs: median (min..max) |")
print("|---|---:|")
for side in ("loadprof", "perf", "none2"):
    xs = sorted((1 - float(r[2]) / base[r[0]]) / hz * 1e6 for r in rows if r[1] == side and r[0] in base)
    if xs:
        print(f"| {side if side != 'none2' else 'none′ (noise floor)'} | {statistics.median(xs):.2f} ({xs[0]:.2f}..{xs[-1]:.2f}) |")
PY
