#!/usr/bin/env bash
# loadprof's offcpu probe next to libbpf-tools' offcputime (bcc, built by
# bench/offcpu/build_offcputime.sh) on the same programs of ours:
#  1. agreement: tests/programs/waits (threads that sleep, wait on a mutex, a
#     pipe, fsync) with both tools attached at once by pid, before the program
#     starts (a shell sleeps 1 s, then execs it: the pid stays), for the same
#     DUR seconds: off-CPU ms per thread (comm) and each thread's top stack.
#     offcputime counts switch-out to switch-in (blocked + runqueue) for
#     intervals >= 1 us; loadprof's wall.threads offcpu_ms summed over reasons
#     is the same interval set (short ones aggregated in BPF, not dropped).
#  2. overhead: tests/programs/pingpong (two threads bouncing a byte over two
#     pipes, both pinned to CPU_TARGET: every round trip is two context
#     switches) plain, under `loadprof record --pid P --probes cpu,offcpu`, and
#     under `offcputime -p P`, each attached before the exec; the tools pinned
#     to the other CPU. Its own round trips per second are the figure; sides
#     rotated and reversed between rounds.
#
#   bench/offcpu/compare.sh [ROUNDS=5] [SECS=3] [DUR=5]
#   env: LOADPROF (build/src/cli/loadprof), OFFCPUTIME (/tmp/offcputime/offcputime),
#        PROGS (build/tests/programs), CPU_TARGET (0), CPU_TOOL (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-3}
DUR=${3:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
OFFCPUTIME=${OFFCPUTIME:-/tmp/offcputime/offcputime}
PROGS=${PROGS:-build/tests/programs}
CPU_TARGET=${CPU_TARGET:-0}
CPU_TOOL=${CPU_TOOL:-1}
need python3 python3
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROGS/waits" test_programs
need_built "$PROGS/pingpong" test_programs
[ -x "$OFFCPUTIME" ] || { echo "no offcputime at $OFFCPUTIME: run bench/offcpu/build_offcputime.sh" >&2; exit 1; }
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
loadprof=$(realpath "$LOADPROF")
waits=$(realpath "$PROGS/waits")
pingpong=$(realpath "$PROGS/pingpong")

echo "== 1. agreement on waits (both tools at once, ${DUR} s) — load average $(loadavg)"
# waits runs DUR+2 s so it is still alive when offcputime symbolizes at its end.
sh -c "sleep 1; exec $waits block $((DUR + 2)) $work" > "$work/waits.out" &
target=$!
taskset -c "$CPU_TOOL" "$OFFCPUTIME" -p "$target" "$DUR" > "$work/offcputime.txt" 2> "$work/offcputime.err" &
tool=$!
taskset -c "$CPU_TOOL" "$loadprof" record --pid "$target" --probes cpu,offcpu --duration "${DUR}s" \
  --output "$work/w.lpc" 2> "$work/record.err"
wait "$tool" "$target"
"$loadprof" report "$work/w.lpc" --format json > "$work/w.json"
"$loadprof" report "$work/w.lpc" --format folded --kind offcpu > "$work/w.folded"
python3 - "$work/offcputime.txt" "$work/w.json" "$work/w.folded" <<'PY'
import collections, json, sys
OURS = {"sleep_loop", "lock_loop", "hold_loop", "pipe_loop", "write_loop", "fsync_loop", "spin_loop",
        "wait_sleep", "wait_lock", "wait_pipe", "wait_fsync", "thread_main", "main"}
def key(frames_root_first):
    k = [f for f in frames_root_first if f in OURS]
    return ";".join(k) if k else "(no frame of ours)"
# offcputime: blocks of frames (kernel then user, leaf first), "- comm (tid)", then microseconds.
per_comm = collections.Counter(); theirs = collections.Counter()
frames = []
lines = open(sys.argv[1]).read().splitlines()
i = 0
while i < len(lines):
    s = lines[i].strip()
    if s.startswith("-") and s.endswith(")") and "(" in s:
        comm = s[1:].strip().rsplit(" (", 1)[0].strip()
        us = int(lines[i + 1].strip()); i += 2
        per_comm[comm] += us / 1000
        theirs[key(list(reversed(frames)))] += us / 1000
        frames = []
        continue
    if s:
        frames.append(s)
    i += 1
report = json.load(open(sys.argv[2]))
ours = collections.Counter(); ours_reason = {}
for t in report["wall"]["threads"]:
    ours[t["comm"]] += sum(t["offcpu_ms"].values())
    ours_reason[t["comm"]] = {k: round(v) for k, v in t["offcpu_ms"].items() if v >= 1}
our_stacks = collections.Counter()
for line in open(sys.argv[3]):
    stack, n = line.rsplit(" ", 1)
    our_stacks[key(stack.split(";"))] += float(n) / 1e6
print(f"{'thread':<10} {'offcputime ms':>14} {'loadprof ms':>12} {'diff':>7}")
for comm in ["sleep", "lock", "holder", "pipe", "writer", "fsync", "waits"]:
    a, b = per_comm.get(comm, 0), ours.get(comm, 0)
    print(f"{comm:<10} {a:>14,.1f} {b:>12,.1f} {100 * (b / a - 1) if a else 0:>+6.1f}%")
a, b = sum(per_comm.values()), sum(ours.values())
print(f"{'all':<10} {a:>14,.1f} {b:>12,.1f} {100 * (b / a - 1) if a else 0:>+6.1f}%  (every thread of the process)")
print("top stacks by our frames (root first), ms:")
print(f"  {'offcputime':<46} {'':>9}   {'loadprof':<46}")
ta, tb = theirs.most_common(6), our_stacks.most_common(6)
for j in range(max(len(ta), len(tb))):
    l = f"  {ta[j][0]:<46} {ta[j][1]:>9,.1f}" if j < len(ta) else " " * 58
    r = f"   {tb[j][0]:<46} {tb[j][1]:>9,.1f}" if j < len(tb) else ""
    print(l + r)
print("loadprof by reason per thread:", ours_reason)
PY
grep -i 'lost' "$work/record.err" || true

echo "== 2. overhead on pingpong (${SECS} s, pinned to CPU $CPU_TARGET, tools on CPU $CPU_TOOL), $ROUNDS rounds — load average $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    sh -c "sleep 1; exec taskset -c $CPU_TARGET $pingpong $SECS" > "$work/out" 2> "$work/err" &
    target=$!
    case $side in
      none) ;;
      loadprof)
        taskset -c "$CPU_TOOL" "$loadprof" record --pid "$target" --probes cpu,offcpu --duration "$((SECS + 3))s" \
          --output "$work/p.lpc" > /dev/null 2> "$work/tool.err" &
        ;;
      offcputime)
        taskset -c "$CPU_TOOL" "$OFFCPUTIME" -p "$target" "$((SECS + 2))" > /dev/null 2> "$work/tool.err" &
        ;;
    esac
    wait "$target"
    [ "$side" = none ] || wait $! || true
    rate=$(sed -n 's/.*round_trips_per_s=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$rate" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    lost=-
    [ "$side" = loadprof ] && lost=$(sed -n 's/^.*lost: //p' "$work/tool.err" | tr ' ' ',')
    echo "$side $r $rate ${lost:--}" >> "$work/results"
  done < <(round_order "$r" none loadprof offcputime)
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, r, rate, lost = line.split()
    rows.setdefault(side, []).append((float(rate), lost))
base = statistics.median(rate for rate, _ in rows["none"])
print(f"{'side':<12} {'median rt/s':>12} {'min..max':>20} {'vs none':>8}  lost (per round)")
for side, v in rows.items():
    rates = [rate for rate, _ in v]
    med = statistics.median(rates)
    print(f"{side:<12} {med:>12,.0f} {min(rates):>9,.0f}..{max(rates):<9,.0f} {100 * (med / base - 1):>+7.1f}%  {' '.join(l for _, l in v)}")
PY
