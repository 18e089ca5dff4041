#!/usr/bin/env bash
# Profiler overhead on a loaded server: requests/s of nginx (one worker, pinned
# to CPU 0) driven by wrk (pinned to CPU 1) with no profiler, with
# `loadprof record` at 99 Hz and 999 Hz, and with `perf record -g` at the same
# frequencies. Each round runs every side once plus a second unprofiled run
# (none2), in an order reversed every other round; loss is against the `none`
# run of the same round and none2's "loss" is the noise floor, stated next to
# every loss (bench/record/loss_table.py). Prints median and spread (min..max).
# Also prints capture bytes per 1,000 samples next to perf.data's.
#
#   bench/record/overhead.sh [ROUNDS=5] [SECONDS=8]
#   env: LOADPROF (build/src/cli/loadprof), PORT (18093)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-8}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
need wrk wrk
need nginx nginx-light
need perf linux-perf
need bpftool bpftool
need python3 python3
need taskset util-linux
need /usr/bin/time time
need_built "$LOADPROF" loadprof
need_built build/tests/programs/hot test_programs
need_done
load_before=$(loadavg)

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

# Each round measures every side once and the unprofiled server twice (none,
# none2), the order reversed every other round; a profiled side's loss is taken
# against the unprofiled run of the same round (the machine drifts by several
# percent between rounds, more than the effect measured here), and none2 against
# none is the noise floor.
# The profiler's own CPU time (user+sys, /usr/bin/time) and, for loadprof, the
# BPF program's run time (kernel.bpf_stats_enabled) are measured too: they are
# the cost itself, free of the throughput noise.
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=0; kill $(cat $work/nginx.pid 2>/dev/null) 2>/dev/null || true; rm -rf $work' EXIT
sides=(none loadprof99 perf99 none2 loadprof999 perf999)
: > $work/rows
for round in $(seq 1 "$ROUNDS"); do
  order=("${sides[@]}")
  if [ $((round % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#sides[@]} - 1; i >= 0; i--)); do order+=("${sides[$i]}"); done
  fi
  for side in "${order[@]}"; do
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
    bpf_ms=-
    if [[ $side == loadprof* ]]; then
      bpf_ms=$(bpftool prog show name on_cpu_sample -j 2>/dev/null |
               python3 -c 'import json,sys; p=json.load(sys.stdin); p=p if isinstance(p,list) else [p]; print(sum(x.get("run_time_ns",0) for x in p)/1e6)')
    fi
    cpu_ms=-
    if [ -n "$prof_pid" ]; then
      wait $prof_pid
      cpu_ms=$(awk '{printf "%.0f", ($1 + $2) * 1000}' $work/cpu)
    fi
    echo "$round $side $rps $cpu_ms $bpf_ms" >> $work/rows
    echo "round $round $side $rps req/s profiler cpu ${cpu_ms} ms bpf ${bpf_ms} ms" >&2
  done
done

echo "Rounds: $ROUNDS x ${SECS} s of wrk per side (order reversed every other round); nginx worker on CPU 0, wrk on"
echo "CPU 1, profiler unpinned. Load average before: $load_before; after: $(loadavg)."
echo
python3 bench/record/loss_table.py $work/rows --value req/s \
  --extra "profiler CPU per run (user+sys) ms,BPF program time per run ms"

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
