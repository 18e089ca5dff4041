#!/usr/bin/env bash
# The io probe on a loaded HTTP server: tests/programs/cpu_server under
# `wrk -t1 -c16` (both CPUs busy), loadprof attached by pid with --probes
# cpu, cpu,io (and cpu,offcpu,io with ALL=1), or not at all; wrk's requests/s
# over SECS seconds is the figure, and the recorder's own steady CPU (its -v
# account). Sides rotated and reversed between rounds (round_order); median and
# spread (min..max) per side. For the noise floor and the perf anchor, see
# bench/record/saturated.sh (PROBES=...).
#
#   bench/record/io_server.sh [ROUNDS=5] [SECS=5]
#   env: LOADPROF (build/src/cli/loadprof), SERVER (build/tests/programs/cpu_server), PORT (18196), ALL (0)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-5}
SECS=${2:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
SERVER=${SERVER:-build/tests/programs/cpu_server}
PORT=${PORT:-18196}
need wrk wrk
need python3 python3
need_built "$LOADPROF" loadprof
need_built "$SERVER" test_programs
need_done
work=$(mktemp -d)
"$SERVER" --port "$PORT" > "$work/server.out" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
sleep 0.5
sides=(none cpu cpu,io)
[ "${ALL:-0}" = 1 ] && sides+=(cpu,offcpu,io)

echo "load average before: $(loadavg)"
: > "$work/results"
for ((r = 1; r <= ROUNDS; r++)); do
  while read -r side; do
    recorder=
    if [ "$side" != none ]; then
      "$LOADPROF" -v record --pid "$server" --probes "$side" --duration $((SECS + 2)) --output "$work/c.lpc" \
        2> "$work/err" &
      recorder=$!
      sleep 1
    fi
    wrk -t1 -c16 -d"${SECS}s" "http://127.0.0.1:$PORT/" > "$work/wrk"
    [ -n "$recorder" ] && wait "$recorder"
    rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$work/wrk")
    steady=-
    [ -n "$recorder" ] && steady=$(sed -n 's/.*then \([0-9.]*\) ms\/s.*/\1/p' "$work/err")
    echo "$side $r $rps ${steady:--}" >> "$work/results"
  done < <(round_order "$r" "${sides[@]}")
done
echo "load average after: $(loadavg)"
python3 - "$work/results" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    side, r, rps, steady = line.split()
    rows.setdefault(side, []).append((float(rps), steady))
base = statistics.median(v for v, _ in rows["none"])
print(f"{'probes':<16} {'median req/s':>12} {'min..max':>20} {'vs none':>8}  recorder steady ms/s per round")
for side, v in rows.items():
    rates = [x for x, _ in v]
    med = statistics.median(rates)
    print(f"{side:<16} {med:>12,.0f} {min(rates):>9,.0f}..{max(rates):<9,.0f} {100 * (med / base - 1):>+7.1f}%  "
          + " ".join(s for _, s in v))
PY
