#!/usr/bin/env bash
# What profiling under load costs (issue 10): `loadprof bench --pid` (load +
# recorder at 99 Hz) against `loadprof load` alone, same flags, on a server of
# ours (tests/programs/cpu_server, thread per connection, CPU-heavy requests)
# pinned to CPU 1 while the driver is pinned to CPU 0. Closed model with a
# fixed concurrency, so the target's throughput is what it can do: the loss is
# what a user pays to profile under load. Also loadprof's own CPU (user +
# system, the whole process: driver threads, and for bench the recorder and
# symbolizer) per 1,000 requests; sides alternate, rotated and reversed each
# round (bench/lib.sh round_order), with a second unprofiled side as the noise
# floor (sides none and none2 are `loadprof load` alone). Then capture bytes per minute of bench at 1,000 and 10,000
# req/s (open model), and the time `report` takes on them.
#
#   bench/bench/overhead.sh [ROUNDS=5] [WINDOW_S=5]
#   env: WORK (4000 hash rounds per request), CONNS (16), LOADPROF, SERVER, PORT (18095),
#        RATES ("1000 10000"), RATE_S (10: seconds of each bytes run), KEEP (keep raw rows)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
WINDOW_S=${2:-5}
WORK=${WORK:-4000}
CONNS=${CONNS:-16}
PORT=${PORT:-18095}
RATES=${RATES:-1000 10000}
RATE_S=${RATE_S:-10}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
SERVER=${SERVER:-build/tests/programs/cpu_server}
need taskset util-linux
need python3 python3
need_built "$LOADPROF" loadprof
need_built "$SERVER" test_programs
need_done
load_before=$(loadavg)
LOADPROF=$(realpath "$LOADPROF")

work=$(mktemp -d)
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT

taskset -c 1 "$SERVER" --port "$PORT" --work "$WORK" > "$work/server.out" &
server_pid=$!
for _ in $(seq 50); do grep -q PORT "$work/server.out" 2>/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$PORT/

# Runs a command pinned to CPU 0; prints its CPU seconds (user + system, all threads).
cpu_of() {
  python3 -c 'import resource, subprocess, sys
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
u = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f %d" % (u.ru_utime + u.ru_stime, r.returncode))' taskset -c 0 "$@"
}
common=(--closed --connections "$CONNS" --threads 1 --duration "$WINDOW_S")
"$LOADPROF" load "$url" --closed --connections "$CONNS" --threads 1 --duration 2 > /dev/null  # caches warm

: > "$work/rows"
sides=(none bench none2)  # none, none2: `loadprof load` alone
for round in $(seq 1 "$ROUNDS"); do
  mapfile -t order < <(round_order "$round" "${sides[@]}")
  for side in "${order[@]}"; do
    json=$work/r$round.$side.json
    case $side in
      none*) read -r cpu rc < <(cpu_of "$LOADPROF" load "$url" "${common[@]}" --json "$json") ;;
      bench) read -r cpu rc < <(cpu_of "$LOADPROF" bench "$url" "${common[@]}" --pid "$server_pid" --json "$json" \
               --output "$work/r$round.bench.lpc") ;;
    esac
    [ "$rc" = 0 ] || { echo "round $round $side: exit $rc" >&2; exit 1; }
    read -r rps requests < <(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["throughput_rps"], d["requests"])' "$json")
    per_k=$(awk -v c="$cpu" -v n="$requests" 'BEGIN {printf "%.2f", 1000 * 1000 * c / n}')
    echo "$round $side $rps $per_k" >> "$work/rows"
    echo "round $round $side: $rps req/s, loadprof CPU $per_k ms per 1,000 requests" >&2
    rm -f "$work/r$round.bench.lpc"
  done
done

echo "Rounds: $ROUNDS; each side ${WINDOW_S} s of --closed --connections $CONNS --threads 1 (driver on CPU 0),"
echo "cpu_server --work $WORK on CPU 1; bench = load + record --pid at 99 Hz (cpu probe)."
echo "Load average before: $load_before; after: $(loadavg). $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
python3 bench/record/loss_table.py "$work/rows" --value req/s --extra "loadprof CPU ms per 1k requests"
echo
echo "| offered rate | requests | capture bytes | bytes per minute | bytes per request | report time (json) |"
echo "|---|---|---|---|---|---|"
for rate in $RATES; do
  cap=$work/rate$rate.lpc
  taskset -c 0 "$LOADPROF" bench "$url?work=10" --rate "$rate" --duration "$RATE_S" --pid "$server_pid" \
    --output "$cap" > /dev/null 2>&1
  bytes=$(stat -c %s "$cap")
  t0=$(date +%s.%N)
  requests=$("$LOADPROF" report "$cap" --format json | python3 -c 'import json, sys; print(json.load(sys.stdin)["request_log"]["in_capture"])')
  t1=$(date +%s.%N)
  awk -v r="$rate" -v n="$requests" -v b="$bytes" -v s="$RATE_S" -v t0="$t0" -v t1="$t1" 'BEGIN {
    printf "| %d req/s | %d | %d | %.1f MiB | %.1f | %.2f s |\n", r, n, b, b * 60 / s / 1048576, b / n, t1 - t0 }'
done
