#!/usr/bin/env bash
# False alarms and power of `loadprof diff` on the latency of real bench
# captures (not a test: too long). tests/programs/cpu_server is benched
# 2*PAIRS times as the same build (?work=WORK) and SLOW times with twice the
# work per request; independent same-build pairs (1,2), (3,4), ... are diffed
# with the stack comparison left to its own benchmark (--kind cpu still runs;
# this counts the request log's verdict: latency, throughput and the target's
# CPU per request, docs/DIFF.md): a regression there is a false alarm. Every
# slow capture is diffed against a different same-build one: a regression
# there is a detection. Slow
# captures are taken between pairs (after pair i, i <= SLOW), not at the end,
# so a change in the machine's load does not land on one side only. loadprof
# (the driver and the recorder) runs on CPU LOADPROF_CPU, the server on
# SERVER_CPU (taskset; PIN=0 leaves both free); each line carries the load.
#
#   bench/diff/latency_false_positives.sh [PAIRS=10] [SECS=10] [SLOW=3]
#   env: RATE (100 req/s), WORK (20000 hash rounds), LOADPROF, SERVER, PORT (18096), KEEP=1 keeps the captures,
#        PIN (1), LOADPROF_CPU (0), SERVER_CPU (1)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
PAIRS=${1:-10}
SECS=${2:-10}
SLOW=${3:-3}
RATE=${RATE:-100}
WORK=${WORK:-20000}
PORT=${PORT:-18096}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
SERVER=${SERVER:-build/tests/programs/cpu_server}
need python3 python3
PIN=${PIN:-1}
LOADPROF_CPU=${LOADPROF_CPU:-0}
SERVER_CPU=${SERVER_CPU:-1}
pin_loadprof=()
pin_server=()
if [ "$PIN" = 1 ]; then
  need taskset util-linux
  pin_loadprof=(taskset -c "$LOADPROF_CPU")
  pin_server=(taskset -c "$SERVER_CPU")
fi
need_built "$LOADPROF" loadprof
need_built "$SERVER" test_programs
need_done
[ "$(id -u)" = 0 ] || { echo "run as root (bench records: CAP_BPF/CAP_PERFMON)" >&2; exit 1; }
dir=$(mktemp -d /tmp/loadprof-latency-fp.XXXXXX)
if [ "${KEEP:-0}" = 1 ]; then echo "captures kept in $dir"; else trap 'rm -rf "$dir"' EXIT; fi
echo "loadprof diff latency false alarms: $PAIRS same-build pairs, $SLOW slow captures, ${SECS}s at $RATE req/s" \
  "(cpu_server ?work=$WORK; slow: $((2 * WORK))); pinned: $PIN (loadprof cpu $LOADPROF_CPU, server cpu $SERVER_CPU);" \
  "load $(loadavg)"

bench() {  # bench NAME WORK
  "${pin_loadprof[@]}" "$LOADPROF" bench "http://127.0.0.1:$PORT/?work=$2" --rate "$RATE" --duration "$SECS" \
    --output "$dir/$1.lpc" -- "${pin_server[@]}" "$SERVER" --port "$PORT" > "$dir/$1.out" 2> "$dir/$1.err" ||
    { cat "$dir/$1.err" >&2; exit 1; }
}
verdicts() {  # verdicts BASE NEW -> "requests_verdict latency_verdict throughput_verdict cost_verdict worst_p99_change cost_change"
  "$LOADPROF" diff "$dir/$1.lpc" "$dir/$2.lpc" --json - 2>/dev/null | python3 -c '
import json, sys
d = json.load(sys.stdin)
lat = [x for x in d["latency_ms"] if x["stage"] is None]
v = "regression" if any(x["verdict"] == "regression" for x in lat) else (
    "improvement" if any(x["verdict"] == "improvement" for x in lat) else "no_change")
p99 = [x for x in lat if x["metric"] == "p99"][0]
cost = d["requests"].get("latency_gate", {}).get("cpu_ms_per_request")
print(d["requests"]["verdict"], v, d["throughput_rps"]["verdict"], cost["verdict"] if cost else "none",
      "%+.1f%%" % p99["change_pct"], "%+.1f%%" % cost["change_pct"] if cost else "none")'
}

alarms=0
detected=0
for i in $(seq 1 "$PAIRS"); do
  bench "a$i" "$WORK"
  bench "b$i" "$WORK"
  read -r all lat thr cost p99 costc < <(verdicts "a$i" "b$i")
  [ "$all" = regression ] && alarms=$((alarms + 1))
  echo "pair $i: requests $all (latency $lat, throughput $thr, cpu per request $cost), p99 $p99, cpu/request $costc; load $(loadavg)"
  if [ "$i" -le "$SLOW" ]; then
    bench "s$i" "$((2 * WORK))"
    read -r all lat thr cost p99 costc < <(verdicts "a$i" "s$i")
    [ "$all" = regression ] && detected=$((detected + 1))
    echo "slow $i: requests $all (latency $lat, throughput $thr, cpu per request $cost), p99 $p99, cpu/request $costc; load $(loadavg)"
  fi
done
echo "same-build pairs called a regression (latency, throughput or cpu per request): $alarms / $PAIRS;" \
  "2x work detected: $detected / $SLOW; load $(loadavg)"
