#!/usr/bin/env bash
# The alloc probe's cost on a malloc/free-heavy target next to heaptrack and
# valgrind massif: tests/programs/alloc_churn (malloc/free pairs as fast as it
# can), pinned to CPU_TARGET, runs SECS seconds plain; attached by pid under
# `loadprof record --probes alloc` (uprobes on every call) and with
# `--alloc-sample 512KiB` (fewer records, the same traps); launched by
# `loadprof record --probes alloc -- taskset -c CPU_TARGET PROG` (the preload
# library, Poisson sampling at its default mean of 512 KiB, and at 4 KiB);
# launched under `heaptrack` and `valgrind --tool=massif`. Its own pairs per second is the
# figure. heaptrack runs unpinned: pinned, its interpreter process shares the
# target's CPU and starves it (524 pairs/s vs 278,687 unpinned, once); as
# `heaptrack taskset ...` it traces taskset instead. loadprof's recorder is
# never pinned either. Sides are rotated and reversed between rounds (round_order); median
# and spread (min..max) per side, slowdown against plain, and the recorder's
# peak RSS (GNU time's maxrss) for the loadprof sides.
#
#   bench/record/alloc.sh [ROUNDS=5] [SECS=2]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/alloc_churn), CPU_TARGET (0)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-2}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/alloc_churn}
CPU_TARGET=${CPU_TARGET:-0}
need python3 python3
need taskset util-linux
need heaptrack heaptrack
need valgrind valgrind
need /usr/bin/time time
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prog=$(realpath "$PROG")
sides=(none uprobes uprobes-sampled preload preload-4k heaptrack massif)

# A side attached by pid: the program waits for the probe on free(), then works.
by_pid() {
  taskset -c "$CPU_TARGET" "$prog" "$SECS" 1 > "$work/out" 2> "$work/prog_err" &
  local pid=$!
  /usr/bin/time -f 'maxrss_kib=%M' "$LOADPROF" record --pid "$pid" --probes alloc "$@" --duration $((SECS + 30)) \
    --output "$work/c.lpc" > /dev/null 2> "$work/err" || true
  wait "$pid"
}

# A side launched by loadprof: the preload library in the pinned program.
launched() {
  /usr/bin/time -f 'maxrss_kib=%M' "$LOADPROF" record --probes alloc "$@" --output "$work/c.lpc" \
    -- taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err" || true
}

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    : > "$work/err"
    case "$side" in
      none) taskset -c "$CPU_TARGET" "$prog" "$SECS" > "$work/out" 2> "$work/err" ;;
      uprobes) by_pid ;;
      uprobes-sampled) by_pid --alloc-sample 512KiB ;;
      preload) launched ;;
      preload-4k) launched --alloc-sample 4KiB ;;
      heaptrack)
        (cd "$work" && heaptrack -o "$work/ht" "$prog" "$SECS") > "$work/out" 2> "$work/err"
        rm -f "$work"/ht* ;;
      massif)
        taskset -c "$CPU_TARGET" valgrind --tool=massif --massif-out-file="$work/massif.out" "$prog" "$SECS" \
          > "$work/out" 2> "$work/err" ;;
    esac
    rate=$(sed -n 's/.*pairs_per_s=\([0-9]*\).*/\1/p' "$work/out")
    [ -n "$rate" ] || { echo "$side failed in round $r:" >&2; cat "$work/err" >&2; exit 1; }
    rss=$(sed -n 's/^maxrss_kib=//p' "$work/err")
    echo "$side $r $rate ${rss:--}" >> "$work/results"
  done < <(round_order "$r" "${sides[@]}")
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, r, rate, rss = line.split()
    rows.setdefault(side, []).append((float(rate), rss))
base = statistics.median(rate for rate, _ in rows["none"])
print(f"{'side':<16} {'median pairs/s':>15} {'min..max':>24} {'slowdown':>9}  recorder maxrss KiB")
for side, v in rows.items():
    rates = [rate for rate, _ in v]
    med = statistics.median(rates)
    rss = " ".join(x for _, x in v)
    print(f"{side:<16} {med:>15,.0f} {min(rates):>11,.0f}..{max(rates):<11,.0f} {base / med:>8.1f}x  {rss}")
PY
