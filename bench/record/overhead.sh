#!/usr/bin/env bash
# Profiler overhead on a loaded server: requests/s of nginx (one worker, pinned
# to CPU 0) driven by wrk (pinned to CPU 1) with no profiler, with
# `loadprof record` at 99 Hz and 999 Hz, and with `perf record -g` at the same
# frequencies. Sides alternate over ROUNDS rounds; prints median, spread
# (min..max) and the loss against the unprofiled median. Also prints capture
# bytes per 1,000 samples next to perf.data's.
#
#   bench/record/overhead.sh [ROUNDS=5] [SECONDS=8]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
SECS=${2:-8}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
export DEBIAN_FRONTEND=noninteractive
command -v wrk >/dev/null && command -v nginx >/dev/null && command -v perf >/dev/null ||
  { apt-get update -qq && apt-get install -y -qq wrk nginx-light linux-perf >/dev/null; }

work=$(mktemp -d)
trap 'kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf $work' EXIT
mkdir -p $work/html
head -c 1024 /dev/urandom | base64 > $work/html/index.html
cat > $work/nginx.conf <<CONF
worker_processes 1;
worker_cpu_affinity 01;
daemon on;
pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server { listen 127.0.0.1:${PORT:-18093}; root $work/html; }
}
CONF
nginx -c $work/nginx.conf
sleep 0.5
worker=$(pgrep -P "$(cat $work/nginx.pid)" | head -1)

run_wrk() { taskset -c 1 wrk -t1 -c32 -d${SECS}s http://127.0.0.1:${PORT:-18093}/ | awk '/Requests\/sec/ {print $2}'; }

# Each round measures every side once, "none" first; a profiled side's loss is
# taken against the unprofiled run of the same round (the machine drifts by
# several percent between rounds, more than the effect measured here).
# The profiler's own CPU time (user+sys, /usr/bin/time) and, for loadprof, the
# BPF program's run time (kernel.bpf_stats_enabled) are measured too: they are
# the cost itself, free of the throughput noise.
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=0; kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf $work' EXIT
sides=(none loadprof99 loadprof999 perf99 perf999)
: > $work/rows
for round in $(seq 1 "$ROUNDS"); do
  base=""
  for side in "${sides[@]}"; do
    prof_pid=""
    hz=${side//[!0-9]/}
    case $side in
      loadprof*) /usr/bin/time -f "%U %S" -o $work/cpu $LOADPROF record --pid "$worker" --frequency $hz \
                   --duration $((SECS + 2)) --output $work/lp.lpc 2>$work/lp.err & prof_pid=$! ;;
      perf*)     /usr/bin/time -f "%U %S" -o $work/cpu perf record -q -g -F $hz -p "$worker" -o $work/perf.data \
                   -- sleep $((SECS + 2)) 2>/dev/null & prof_pid=$! ;;
    esac
    [ -n "$prof_pid" ] && sleep 1
    rps=$(run_wrk)
    bpf_ms=0
    if [[ $side == loadprof* ]]; then
      bpf_ms=$(bpftool prog show name on_cpu_sample -j 2>/dev/null |
               python3 -c 'import json,sys; p=json.load(sys.stdin); p=p if isinstance(p,list) else [p]; print(sum(x.get("run_time_ns",0) for x in p)/1e6)')
    fi
    cpu_ms=0
    if [ -n "$prof_pid" ]; then
      wait $prof_pid
      cpu_ms=$(awk '{printf "%.0f", ($1 + $2) * 1000}' $work/cpu)
    fi
    [ -z "$base" ] && base=$rps
    loss=$(awk -v b=$base -v r=$rps 'BEGIN {printf "%.2f", 100 * (b - r) / b}')
    echo "$side $rps $loss $cpu_ms $bpf_ms" >> $work/rows
    echo "round $round $side $rps req/s loss $loss % profiler cpu ${cpu_ms} ms bpf ${bpf_ms} ms" >&2
  done
done

echo "Rounds: $ROUNDS x ${SECS} s of wrk per side; nginx worker on CPU 0, wrk on CPU 1, profiler unpinned."
echo
echo "| side | median req/s | median loss vs same-round none | loss spread (min..max) | profiler CPU per run (user+sys, median) | BPF program time per run (median) |"
echo "|---|---:|---:|---|---:|---:|"
python3 - "$work/rows" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
for side in ["none", "loadprof99", "loadprof999", "perf99", "perf999"]:
    r = [x for x in rows if x[0] == side]
    rps = statistics.median(float(x[1]) for x in r)
    loss = sorted(float(x[2]) for x in r)
    cpu = statistics.median(float(x[3]) for x in r)
    bpf = statistics.median(float(x[4]) for x in r)
    print(f"| {side} | {rps:.0f} | {statistics.median(loss):.2f} % | {loss[0]:.2f}..{loss[-1]:.2f} % | {cpu:.0f} ms | {bpf:.1f} ms |")
PY

# Capture size per 1,000 samples: the same CPU-bound program under both tools at 999 Hz.
prog=build/tests/programs/hot
$LOADPROF record --frequency 999 --output $work/size.lpc -- $prog 5 >/dev/null 2>$work/size.err
lp_samples=$(grep -o 'recorded [0-9]*' $work/size.err | awk '{print $2}')
lp_bytes=$(stat -c %s $work/size.lpc)
perf record -q -g -F 999 -o $work/size.data -- $prog 5 >/dev/null 2>&1
perf_samples=$(perf script -i $work/size.data -F pid 2>/dev/null | wc -l)
perf_bytes=$(stat -c %s $work/size.data)
echo
echo "| file | samples | bytes | bytes per 1,000 samples |"
echo "|---|---:|---:|---:|"
echo "| loadprof .lpc | $lp_samples | $lp_bytes | $((lp_bytes * 1000 / lp_samples)) |"
echo "| perf.data (-g) | $perf_samples | $perf_bytes | $((perf_bytes * 1000 / perf_samples)) |"
