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

declare -A results
sides=(none loadprof99 loadprof999 perf99 perf999)
for round in $(seq 1 "$ROUNDS"); do
  for side in "${sides[@]}"; do
    prof_pid=""
    case $side in
      loadprof99)  $LOADPROF record --pid "$worker" --frequency 99 --duration $((SECS + 2)) --output $work/lp.lpc 2>$work/lp.err & prof_pid=$! ;;
      loadprof999) $LOADPROF record --pid "$worker" --frequency 999 --duration $((SECS + 2)) --output $work/lp.lpc 2>$work/lp.err & prof_pid=$! ;;
      perf99)      perf record -q -g -F 99 -p "$worker" -o $work/perf.data -- sleep $((SECS + 2)) 2>/dev/null & prof_pid=$! ;;
      perf999)     perf record -q -g -F 999 -p "$worker" -o $work/perf.data -- sleep $((SECS + 2)) 2>/dev/null & prof_pid=$! ;;
    esac
    [ -n "$prof_pid" ] && sleep 1
    rps=$(run_wrk)
    [ -n "$prof_pid" ] && wait $prof_pid
    results[$side]+="$rps "
    echo "round $round $side $rps req/s" >&2
  done
done

echo "| side | median req/s | spread (min..max) | loss vs none |"
echo "|---|---:|---|---:|"
base=$(echo ${results[none]} | tr ' ' '\n' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
for side in "${sides[@]}"; do
  echo ${results[$side]} | tr ' ' '\n' | sort -g | awk -v side=$side -v base=$base '
    {a[NR]=$1} END {m=a[int((NR+1)/2)]; printf "| %s | %.0f | %.0f..%.0f | %.2f %% |\n", side, m, a[1], a[NR], 100*(base-m)/base}'
done

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
