#!/usr/bin/env bash
# The mmap probe's cost per call with the DWARF copy (registers + 4 KiB of
# user stack to the ring, unwound by the recorder) against the FP path (the
# frame-pointer walk and stack-word scan, summed in BPF).
# tests/programs/mmap_loop (mmap + munmap of a page through glibc, as fast as
# it can, SECS seconds) is launched under `loadprof record --probes alloc
# --unwind dwarf|fp`, pinned to CPU_TARGET, loadprof pinned to CPU_LOADPROF;
# sides rotated and reversed between rounds (round_order). Its own calls/s
# are the figure; the cost per call is 1/rate - 1/rate_fp. DWARF rows also
# give how many calls fell back to the FP sum (mmap/dwarf_ringbuf_full).
#
#   bench/record/mmap_dwarf.sh [ROUNDS=5] [SECS=2]
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
need_built "$PROGS/mmap_loop" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$(realpath "$PROGS/mmap_loop")
lp=$(realpath "$LOADPROF")

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    taskset -c "$CPU_LOADPROF" "$lp" record --probes alloc --unwind "$side" --output "$work/c.lpc" -- \
      taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err"
    n=$(sed -n 's/.*calls_per_s=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$n" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    rm -rf "$work/rep"
    "$lp" report "$work/c.lpc" --output-dir "$work/rep" > /dev/null 2>&1 || true
    full=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["lost"].get("mmap",{}).get("dwarf_ringbuf_full","-"))' \
      "$work/rep/report.json" 2> /dev/null || echo -)
    echo "$side $r $n $full" >> "$work/results"
  done < <(round_order "$r" dwarf fp)
done
echo "load average after: $(loadavg)"
echo "rounds (side round calls/s dwarf_ringbuf_full):"
cat "$work/results"
python3 - "$work/results" <<'PY'
import statistics, sys
rows, full = {}, {}
for line in open(sys.argv[1]):
    side, r, n, f = line.split()
    rows.setdefault(side, []).append(float(n))
    full.setdefault(side, []).append(f)
base = statistics.median(rows["fp"])
print(f"{'side':<6} {'median calls/s':>15} {'min..max':>24} {'vs fp':>8} {'ns/call':>8}  dwarf_ringbuf_full")
for side in ("fp", "dwarf"):
    v = rows[side]
    med = statistics.median(v)
    cost = 1e9 / med - 1e9 / base
    print(f"{side:<6} {med:>15,.0f} {min(v):>11,.0f}..{max(v):<11,.0f} {100 * (med / base - 1):>+7.1f}% {cost:>+8.0f}  {' '.join(full[side])}")
PY
