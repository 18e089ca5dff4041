#!/usr/bin/env bash
# Report time of a 10-minute capture (SPEC: < 5 s). Makes the capture once, then
# times `loadprof report CAPTURE --output-dir DIR` (every file: report.html,
# report.md, report.json, cpu.svg, cpu.folded) and `loadprof report CAPTURE`
# (the Markdown summary on stdout) ROUNDS times each, alternating which goes
# first, pinned to CPU_REPORT; wall time from outside, user+sys and max RSS from
# /usr/bin/time. Median and spread (min..max). No anchor: the target is absolute.
#
#   bench/report/ten_minutes.sh [BUILD_DIR=build] [ROUNDS=5]
#   env: SOURCE=synthetic (default) | real, SECS (600), HZ (999), CPU_REPORT (1)
#
# SOURCE=synthetic: bench_capture_gen (bench/report/gen_capture.cpp) writes a
#   recorder-shaped capture in about a second: SECS s, 2 CPUs both in the target
#   at HZ (1,198,800 samples by default), 20,000 distinct stacks over 6,000
#   frames, one chunk per second as the recorder flushes.
# SOURCE=real: `loadprof record` records tests/programs/hot with 2 threads
#   (both CPUs) for SECS real seconds at HZ first. Real, but a handful of
#   distinct stacks: the report's cost then comes from the samples only.
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
BUILD=${1:-build}
ROUNDS=${2:-5}
SOURCE=${SOURCE:-synthetic}
SECS=${SECS:-600}
HZ=${HZ:-999}
CPU_REPORT=${CPU_REPORT:-1}
LOADPROF=$BUILD/src/cli/loadprof
need python3 python3
need taskset util-linux
need /usr/bin/time time
need_built "$LOADPROF" loadprof
case $SOURCE in
  synthetic) cmake --build "$BUILD" -j2 --target bench_capture_gen >/dev/null ;;
  real) need_built "$BUILD/tests/programs/hot" test_programs ;;
  *) echo "SOURCE must be synthetic or real" >&2; exit 2 ;;
esac
need_done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
capture=$work/ten.lpc

if [ "$SOURCE" = synthetic ]; then
  echo "capture: $("$BUILD/bench/bench_capture_gen" "$capture" --seconds "$SECS" --hz "$HZ" --cpus 2)"
else
  "$LOADPROF" record --frequency "$HZ" --duration "${SECS}s" --output "$capture" -- \
    "$BUILD/tests/programs/hot" $((SECS + 2)) 2 > /dev/null 2> "$work/record.err"
  echo "capture: $(grep recorded "$work/record.err")"
fi
echo "capture file: $(stat -c %s "$capture") bytes; load average before: $(loadavg)"

: > "$work/times"
run() {  # NAME ARGS...: one timed report
  local name=$1 t0 t1
  shift
  [ "$name" = all ] && rm -rf "$work/out"  # a fresh output directory for every full report
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$work/t" taskset -c "$CPU_REPORT" "$LOADPROF" report "$capture" "$@" \
    > "$work/stdout" 2> "$work/stderr" || { echo "report failed:" >&2; cat "$work/stderr" >&2; exit 1; }
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000 )) $(cat "$work/t")" >> "$work/times"
}
for r in $(seq 1 "$ROUNDS"); do
  if [ $((r % 2)) -eq 1 ]; then
    run all --output-dir "$work/out"; run md
  else
    run md; run all --output-dir "$work/out"
  fi
  echo "round $r done (load average $(loadavg))" >&2
done
echo "load average after: $(loadavg)"
echo "files of the last --output-dir run: $(cd "$work/out" && for f in *; do printf '%s %s B; ' "$f" "$(stat -c %s "$f")"; done)"

python3 - "$work/times" "$ROUNDS" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    name, us, user, system, rss = line.split()
    by.setdefault(name, []).append((int(us) / 1e6, float(user) + float(system), int(rss) / 1024))
print(f"\n{sys.argv[2]} rounds; median (min..max)\n")
print("| run | wall s | user+sys s | max RSS MiB |")
print("|---|---:|---:|---:|")
for name, label in (("all", "report --output-dir (html, md, json, svg, folded)"), ("md", "report (Markdown to stdout)")):
    v = by[name]
    cell = lambda i: f"{statistics.median(x[i] for x in v):.2f} ({min(x[i] for x in v):.2f}..{max(x[i] for x in v):.2f})"
    print(f"| {label} | {cell(0)} | {cell(1)} | {max(x[2] for x in v):.0f} |")
PY
