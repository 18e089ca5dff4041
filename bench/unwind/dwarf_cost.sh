#!/usr/bin/env bash
# DWARF unwinding cost on a CPU-bound program without frame pointers
# (tests/programs/nofp_shares, single-threaded; its rounds are the work done):
# per side and frequency, the target's rounds against an unprofiled run of
# the same round (loss), the recorder's CPU (user+sys of the whole loadprof or
# perf process), the capture's bytes, the share of stacks reaching main and,
# for loadprof, the unwinder's us per stack (record -v's cost line). Sides:
# none, loadprof --unwind fp, loadprof --unwind dwarf, perf record -g, perf
# record --call-graph dwarf (its default 8 KiB copy). perf's share reaching
# main and the time to folded stacks are measured through `perf script` and
# a collapse step (awk), ours through `report --format folded`. The recorders
# attach by pid for SECONDS-1 s (CPU time of the recorder alone).
#
#   bench/unwind/dwarf_cost.sh [ROUNDS=3] [SECONDS=5]
#   env: LOADPROF (build/src/cli/loadprof)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-3}
SECS=${2:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROGRAM=build/tests/programs/nofp_shares
need perf linux-perf
need /usr/bin/time time
need_built "$LOADPROF" loadprof
need_built "$PROGRAM" test_programs
need_done
echo "load average before: $(loadavg)"
work=$(mktemp -d)
trap 'rm -rf $work' EXIT

rounds_of() { sed -n 's/.*rounds=\([0-9]*\).*/\1/p' "$1"; }
cpu_s() { awk '/^cpu/ {print $2 + $3}' "$1"; }  # /usr/bin/time -f "cpu %U %S"
# Folded text on stdin: the share (%) of samples whose stack holds main.
main_pct() { awk '{n = $NF; t += n; if ($0 ~ /(^|;)main(;| )/) m += n} END {printf "%.1f", t ? 100 * m / t : 0}'; }
# perf script text -> folded stacks (leaf last), in awk: the collapse step.
collapse() {
  awk '/^[^ \t]/ {if (s != "") c[s]++; s = ""; next} /^[ \t]+[0-9a-f]+ / {f = $2; sub(/\+0x[0-9a-f]+$/, "", f); s = (s == "" ? f : f ";" s); next} END {if (s != "") c[s]++; for (k in c) print k, c[k]}'
}

run_side() {  # SIDE HZ -> one result line
  local side=$1 hz=$2 out=$work/$1.$2 pid rec_s
  # The recorder attaches by pid, so /usr/bin/time counts the recorder alone.
  "$PROGRAM" "$SECS" > $out.txt &
  pid=$!
  rec_s=$(awk -v s="$SECS" 'BEGIN {print s - 1}')
  sleep 0.3
  case $side in
    none) ;;
    fp | dwarf)
      /usr/bin/time -f "cpu %U %S" -o $out.time "$LOADPROF" record -v --frequency "$hz" --unwind "$side" \
        --output $out.lpc --pid $pid --duration ${rec_s}s > /dev/null 2> $out.err ;;
    perf-g | perf-dwarf)
      local cg=fp
      [ "$side" = perf-dwarf ] && cg=dwarf
      # perf record -p PID -- sleep N dies by SIGTERM here: stopped by SIGINT instead.
      /usr/bin/time -f "cpu %U %S" -o $out.time timeout -s INT "$rec_s" perf record -q -F "$hz" \
        --call-graph "$cg" -o $out.data -p $pid > /dev/null 2> $out.err || true ;;
  esac
  wait $pid
  local rounds extra=""
  rounds=$(rounds_of $out.txt)
  case $side in
    none) ;;
    fp | dwarf)
      local t0 t1 folded_ms us
      t0=$(date +%s%N)
      "$LOADPROF" report $out.lpc --format folded --kind cpu > $out.folded
      t1=$(date +%s%N)
      folded_ms=$(((t1 - t0) / 1000000))
      us=$(sed -n 's/.*DWARF unwinding [0-9]* stacks, \([0-9.]*\) us each.*/\1/p' $out.err)
      extra="recorder_cpu_s=$(cpu_s $out.time) bytes=$(stat -c %s $out.lpc) main_pct=$(main_pct < $out.folded) folded_ms=$folded_ms unwind_us=${us:-0}" ;;
    perf-*)
      local t0 t1 folded_ms
      t0=$(date +%s%N)
      perf script -i $out.data 2>/dev/null | collapse > $out.folded
      t1=$(date +%s%N)
      folded_ms=$(((t1 - t0) / 1000000))
      extra="recorder_cpu_s=$(cpu_s $out.time) bytes=$(stat -c %s $out.data) main_pct=$(main_pct < $out.folded) folded_ms=$folded_ms" ;;
  esac
  echo "$side hz=$hz rounds=$rounds $extra"
}

for hz in 99 999; do
  for ((r = 1; r <= ROUNDS; r++)); do
    for side in $(round_order $r none fp dwarf perf-g perf-dwarf); do run_side $side $hz; done
  done
done
echo "load average after: $(loadavg)"
