#!/usr/bin/env bash
# The cost of --offcpu-wakers (two bpf_get_stackid per waking of a target
# thread) on tests/programs/pingpong (two threads bouncing a byte over two
# pipes, both pinned to CPU_TARGET: every round trip is two wakings and two
# context switches): its own round trips per second plain, under
# `loadprof record --pid P --probes cpu,offcpu`, and the same with
# --offcpu-wakers; loadprof pinned to the other CPU, sides rotated and
# reversed between rounds (bench/lib.sh round_order). Also the waker stacks the
# last wakers round recorded (they must name ping_loop and pong_loop).
#
#   bench/offcpu/wakers.sh [ROUNDS=5] [SECS=3]
#   env: LOADPROF (build/src/cli/loadprof), PROGS (build/tests/programs), CPU_TARGET (0), CPU_TOOL (1),
#        RECORD_FLAGS (more record flags for both loadprof sides, e.g. "--unwind fp --offcpu-min 1ms": every
#        interval merged in BPF, no ring-buffer overflow, so the stack walks are what differs)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-3}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROGS=${PROGS:-build/tests/programs}
CPU_TARGET=${CPU_TARGET:-0}
CPU_TOOL=${CPU_TOOL:-1}
read -r -a record_flags <<< "${RECORD_FLAGS:-}"
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROGS/pingpong" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
loadprof=$(realpath "$LOADPROF")
pingpong=$(realpath "$PROGS/pingpong")

echo "== --offcpu-wakers on pingpong (record flags: ${RECORD_FLAGS:-none}; ${SECS} s, pinned to CPU $CPU_TARGET, loadprof on CPU $CPU_TOOL), $ROUNDS rounds — load average $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    sh -c "sleep 1; exec taskset -c $CPU_TARGET $pingpong $SECS" > "$work/out" 2> "$work/err" &
    target=$!
    flags=("${record_flags[@]}")
    [ "$side" = wakers ] && flags+=(--offcpu-wakers)
    if [ "$side" != none ]; then
      taskset -c "$CPU_TOOL" "$loadprof" record --pid "$target" --probes cpu,offcpu "${flags[@]}" \
        --duration "$((SECS + 3))s" --output "$work/$side.lpc" > /dev/null 2> "$work/tool.err" &
    fi
    wait "$target"
    [ "$side" = none ] || wait $! || true
    rate=$(sed -n 's/.*round_trips_per_s=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$rate" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    lost=-
    [ "$side" = none ] || lost=$(sed -n 's/^.*lost: //p' "$work/tool.err" | tr ' ' ',')
    echo "$side $r $rate ${lost:--}" >> "$work/results"
  done < <(round_order "$r" none offcpu wakers)
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, r, rate, lost = line.split()
    rows.setdefault(side, []).append((float(rate), lost))
base = statistics.median(rate for rate, _ in rows["none"])
off = statistics.median(rate for rate, _ in rows["offcpu"])
print(f"{'side':<8} {'median rt/s':>12} {'min..max':>20} {'vs none':>8} {'vs offcpu':>9}  lost (per round)")
for side, v in rows.items():
    rates = [rate for rate, _ in v]
    med = statistics.median(rates)
    print(f"{side:<8} {med:>12,.0f} {min(rates):>9,.0f}..{max(rates):<9,.0f} {100 * (med / base - 1):>+7.1f}% "
          f"{100 * (med / off - 1):>+8.1f}%  {' '.join(l for _, l in v)}")
PY
"$loadprof" report "$work/wakers.lpc" --format json > "$work/w.json"
python3 - "$work/w.json" <<'PY'
import json, sys
w = json.load(open(sys.argv[1]))["wall"]
for s in w.get("waker_stacks", [])[:4]:
    ours = [f for f in s["frames"] if not f.endswith("_[k]")]
    print(f"  {s['reason']:<6} {s['waits']:>9,} waits {s['blocked_ms']:>9,.1f} ms  woken {s['woken']}  waker: {';'.join(ours[-3:])}")
PY
