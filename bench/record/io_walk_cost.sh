#!/usr/bin/env bash
# What the io probe's user-stack walk costs per syscall event: the kernel's
# own account of the io programs (kernel.bpf_stats_enabled: run count and run
# time per program) while `loadprof record --probes cpu,io` follows
# tests/programs/pingpong (four traced pipe syscalls per round trip; its stacks
# are ~5 frames deep), for two builds of loadprof: LOADPROF (as shipped) and
# LOADPROF_NOWALK (the same source with the bpf_get_stack calls of
# bpf/io.bpf.c replaced by "0 bytes": no walk, no hash over the frames). The
# difference of the sys_exit program's ns per run is the walk's cost per
# event. Rounds alternate the builds; stats are read over 1 s in the middle of
# each run, from the programs loaded by our recorder (other recorders may be
# running). bpf_stats is switched on for the run and restored after.
# With UNWIND=1 the two sides are one build's `--unwind fp` (the walk) and
# `--unwind dwarf` (registers + a stack copy per call, sent to the ring, no
# walk): the DWARF copy's cost per event against the walk's; LOADPROF_NOWALK
# is then not needed, and the recorder's own account (record's cost line:
# unwinds and their CPU time) and what fell back to FP stacks are shown too.
#
#   bench/record/io_walk_cost.sh [ROUNDS=4] [SECS=4]
#   env: LOADPROF (build/src/cli/loadprof), LOADPROF_NOWALK (required unless UNWIND=1),
#        PROGS (build/tests/programs), CPU_TARGET (0), CPU_TOOL (1), UNWIND (0),
#        PAUSE_US (0: pingpong as fast as it can; else it sleeps that long every 100 round trips)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-4}
SECS=${2:-4}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
UNWIND=${UNWIND:-0}
PAUSE_US=${PAUSE_US:-0}
if [ "$UNWIND" = 1 ]; then
  sides=(fp dwarf)
else
  LOADPROF_NOWALK=${LOADPROF_NOWALK:?a loadprof built with the io probe stack walk removed}
  sides=(walk nowalk)
fi
PROGS=${PROGS:-build/tests/programs}
CPU_TARGET=${CPU_TARGET:-0}
CPU_TOOL=${CPU_TOOL:-1}
need python3 python3
need bpftool bpftool
need taskset util-linux
need_built "$LOADPROF" loadprof
need_built "$PROGS/pingpong" test_programs
need_done
work=$(mktemp -d)
stats_before=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$stats_before"; rm -rf "$work"' EXIT
sysctl -qw kernel.bpf_stats_enabled=1
pingpong=$(realpath "$PROGS/pingpong")

# stats MIN_ID: "name run_cnt run_time_ns" of the io programs loaded after MIN_ID (bpftool here shows no
# owner pids): ours, unless another recorder loaded the same programs meanwhile (then two of a name: the
# round is skipped).
stats() {
  bpftool prog show --json | python3 -c '
import collections, json, sys
min_id = int(sys.argv[1])
seen = collections.Counter()
for p in json.load(sys.stdin):
    if p.get("name") in ("on_sys_enter", "on_sys_exit", "on_sock_send", "on_sock_recv") and p["id"] > min_id:
        seen[p["name"]] += 1
        print(p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))
if any(n > 1 for n in seen.values()):
    sys.exit("another recorder loaded io programs meanwhile")' "$1"
}
max_prog_id() { bpftool prog show --json | python3 -c 'import json, sys; print(max([p["id"] for p in json.load(sys.stdin)] + [0]))'; }

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    bin=$LOADPROF
    [ "$side" = nowalk ] && bin=$LOADPROF_NOWALK
    unwind=()
    [ "$UNWIND" = 1 ] && unwind=(-v --unwind "$side")
    min_id=$(max_prog_id)
    taskset -c "$CPU_TOOL" "$bin" record --probes cpu,io "${unwind[@]}" --output "$work/c.lpc" -- \
      taskset -c "$CPU_TARGET" "$pingpong" "$SECS" "$PAUSE_US" > "$work/out" 2> "$work/err" &
    rec=$!
    sleep "$(python3 -c "print($SECS / 2)")"
    ok=1
    stats "$min_id" > "$work/a" || ok=0
    sleep 1
    stats "$min_id" > "$work/b" || ok=0
    wait "$rec"
    if [ "$ok" = 0 ]; then
      echo "round $r, $side: skipped (another recorder's io programs were loaded)" >&2
      continue
    fi
    rate=$(sed -n 's/.*round_trips_per_s=\([0-9]*\).*/\1/p' "$work/out")
    if [ "$UNWIND" = 1 ]; then
      echo "round $r, $side: $(grep -h '^lost:' "$work/err" || echo 'lost: -');" \
        "$(grep -o 'DWARF unwinding [0-9]* stacks, [0-9.]* us each (in drain; [0-9]* replayed)' "$work/err" || echo 'no DWARF unwinds')" >&2
    fi
    python3 - "$work/a" "$work/b" "$side" "$r" "${rate:-0}" >> "$work/results" <<'PY'
import sys
a = {l.split()[0]: list(map(int, l.split()[1:])) for l in open(sys.argv[1])}
b = {l.split()[0]: list(map(int, l.split()[1:])) for l in open(sys.argv[2])}
for name in sorted(b):
    cnt = b[name][0] - a.get(name, [0, 0])[0]
    ns = b[name][1] - a.get(name, [0, 0])[1]
    if cnt > 0:
        print(sys.argv[3], sys.argv[4], sys.argv[5], name, cnt, ns / cnt)
PY
  done < <(round_order "$r" "${sides[@]}")
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import collections, statistics, sys
rows = collections.defaultdict(list); rates = collections.defaultdict(list); runs = collections.defaultdict(list)
for line in open(sys.argv[1]):
    side, r, rate, name, cnt, ns = line.split()
    rows[(side, name)].append(float(ns)); runs[(side, name)].append(int(cnt))
    if name == "on_sys_exit": rates[side].append(int(rate))
print(f"{'build':<8} {'program':<14} {'ns/run median':>14} {'min..max':>16} {'runs/s':>9}")
for (side, name), v in sorted(rows.items()):
    print(f"{side:<8} {name:<14} {statistics.median(v):>14.0f} {min(v):>7.0f}..{max(v):<8.0f} {statistics.median(runs[(side, name)]):>9.0f}")
for name in ("on_sys_exit", "on_sys_enter"):
    if ("walk", name) in rows and ("nowalk", name) in rows:
        d = statistics.median(rows[("walk", name)]) - statistics.median(rows[("nowalk", name)])
        print(f"{name}: the stack walk (+ hash) costs {d:.0f} ns per event (median difference)")
    if ("dwarf", name) in rows and ("fp", name) in rows:
        d = statistics.median(rows[("dwarf", name)]) - statistics.median(rows[("fp", name)])
        print(f"{name}: the DWARF copy costs {d:+.0f} ns per event against the FP walk (median difference)")
for side, v in rates.items():
    print(f"pingpong under {side}: median {statistics.median(v):,.0f} round trips/s")
PY
