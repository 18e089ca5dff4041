#!/usr/bin/env bash
# The mmap probe's cost (on with --probes alloc): while any syscall
# tracepoint is on (the probe's per-syscall ones, or the raw sys_enter/
# sys_exit ones without tracefs) every syscall of every process on the
# machine takes the slow path. tests/programs/syscalls (write to
# /dev/null + getpid by inline asm, as fast as it can) runs SECS seconds pinned
# to CPU_TARGET: plain (none), launched under `loadprof record --probes alloc`
# (target: the probe's programs run and filter it in), and plain while
# `loadprof record --probes alloc -- sleeper` records another process (other:
# the programs run and return at the target-set check). loadprof is pinned to
# CPU_LOADPROF. Its own syscall count is the figure; sides are rotated and
# reversed between rounds (round_order); median and spread per side, and the
# cost per syscall (1/rate - 1/rate_none).
#
#   bench/record/mmap.sh [ROUNDS=5] [SECS=2]
#   env: LOADPROF (build/src/cli/loadprof), PROGS (build/tests/programs), CPU_TARGET (1), CPU_LOADPROF (0)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-2}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROGS=${PROGS:-build/tests/programs}
CPU_TARGET=${CPU_TARGET:-1}
CPU_LOADPROF=${CPU_LOADPROF:-0}
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROGS/syscalls" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$(realpath "$PROGS/syscalls")
sleeper=$(realpath "$PROGS/sleeper")
lp=$(realpath "$LOADPROF")

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    case "$side" in
      none) taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err" ;;
      target)
        taskset -c "$CPU_LOADPROF" "$lp" record --probes alloc --output "$work/c.lpc" -- \
          taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err" ;;
      other)
        taskset -c "$CPU_LOADPROF" "$lp" record --probes alloc --output "$work/o.lpc" -- "$sleeper" $((SECS + 3)) \
          > /dev/null 2> "$work/other_err" &
        bg=$!
        sleep 1.5 # the probes are attached
        taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err"
        wait "$bg" ;;
    esac
    n=$(sed -n 's/.*syscalls=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$n" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    echo "$side $r $n" >> "$work/results"
  done < <(round_order "$r" none target other)
done
echo "load average after: $(loadavg)"
python3 - "$work/results" "$SECS" <<'PY'
import statistics, sys
secs = float(sys.argv[2])
rows = {}
for line in open(sys.argv[1]):
    side, r, n = line.split()
    rows.setdefault(side, []).append(float(n) / secs)
base = statistics.median(rows["none"])
print(f"{'side':<8} {'median syscalls/s':>18} {'min..max':>24} {'vs none':>8} {'ns/syscall':>11}")
for side in ("none", "target", "other"):
    v = rows[side]
    med = statistics.median(v)
    cost = 1e9 / med - 1e9 / base
    print(f"{side:<8} {med:>18,.0f} {min(v):>11,.0f}..{max(v):<11,.0f} {100 * (med / base - 1):>+7.1f}% {cost:>+10.0f}")
PY
