#!/usr/bin/env bash
# The io probe's cost on a syscall-heavy target: tests/programs/pingpong (two
# threads bouncing a byte over two pipes: each round trip is two writes and
# two reads, two context switches), pinned to CPU_TARGET so the figure does not
# hinge on where the scheduler puts the two threads (on two CPUs the plain rate
# varied 10x between runs), runs SECS seconds plain, under `loadprof
# record --probes cpu` and under `--probes cpu,io` (and `cpu,offcpu,io` with
# ALL=1); its own count of round trips per second is the figure. Sides are
# rotated and reversed between rounds (round_order); median and spread
# (min..max) per side, and what the io probe dropped (record's "lost:" line).
#
#   bench/record/io.sh [ROUNDS=5] [SECS=2]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/pingpong), ALL (0), CPU_TARGET (0)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-2}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/pingpong}
CPU_TARGET=${CPU_TARGET:-0}
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$(realpath "$PROG")
sides=(none cpu cpu,io)
[ "${ALL:-0}" = 1 ] && sides+=(cpu,offcpu,io)

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    if [ "$side" = none ]; then
      taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err"
    else
      "$LOADPROF" record --probes "$side" --output "$work/c.lpc" -- taskset -c "$CPU_TARGET" "$prog" "$SECS" \
        > "$work/out" 2> "$work/err"
    fi
    rate=$(sed -n 's/.*round_trips_per_s=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$rate" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    lost=$(sed -n 's/^.*lost: //p' "$work/err" | tr ' ' ',')
    echo "$side $r $rate ${lost:--}" >> "$work/results"
  done < <(round_order "$r" "${sides[@]}")
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, r, rate, lost = line.split()
    rows.setdefault(side, []).append((float(rate), lost))
base = statistics.median(rate for rate, _ in rows["none"])
print(f"{'probes':<16} {'median rt/s':>12} {'min..max':>20} {'vs none':>8}  lost (per round)")
for side, v in rows.items():
    rates = [rate for rate, _ in v]
    med = statistics.median(rates)
    lost = " ".join(l for _, l in v)
    print(f"{side:<16} {med:>12,.0f} {min(rates):>9,.0f}..{max(rates):<9,.0f} {100 * (med / base - 1):>+7.1f}%  {lost}")
PY
