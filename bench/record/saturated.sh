#!/usr/bin/env bash
# Profiler overhead on a saturated 2-CPU machine (issue 16): a thread-per-
# connection HTTP server of ours with a CPU-heavy endpoint
# (tests/programs/cpu_server) driven by `wrk -t1 -c16`, server and wrk
# unpinned so together they keep both CPUs busy, as a user's loaded service
# would. Each run starts the profiler attached with --pid (or none), waits
# LEAD_S, then measures the server's requests/s over WINDOW_S with wrk, and the
# profiler's own CPU over the same window (/proc/PID/task/*/schedstat); the
# recording lasts LEAD_S + WINDOW_S + 1 s.
#
# Sides per round: none, loadprof and `perf record -g` at each frequency, and a
# second unprofiled run (none2: the noise floor). The order is rotated every
# round and reversed every other round, so no side always follows another.
# Loss is against the same round's none (bench/record/loss_table.py).
# kernel.bpf_stats_enabled is on throughout (restored at the end), so every
# loadprof run also reports its sampling program's run time; loadprof's -v line
# gives its CPU by phase (bench/record/saturated_table.py reads both, with the
# per-CPU sample accounting of each capture).
#
#   bench/record/saturated.sh [ROUNDS=8] [WINDOW_S=5] [LEAD_S=1]
#   env: HZS ("99 999"), PROBES (cpu: loadprof's --probes, for the probes' budget rows),
#        WORK (4000 hash rounds per request), CONNS (16),
#        LOADPROF (build/src/cli/loadprof), SERVER (build/tests/programs/cpu_server),
#        PORT (18094), KEEP (a directory to keep the raw rows and captures in)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
ROUNDS=${1:-8}
WINDOW_S=${2:-5}
LEAD_S=${3:-1}
HZS=${HZS:-99 999}
PROBES=${PROBES:-cpu}
WORK=${WORK:-4000}
CONNS=${CONNS:-16}
PORT=${PORT:-18094}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
SERVER=${SERVER:-build/tests/programs/cpu_server}
need wrk wrk
need perf linux-perf
need python3 python3
need_built "$LOADPROF" loadprof
need_built "$SERVER" test_programs
need_done
load_before=$(loadavg)

work=$(mktemp -d)
bpf_stats_before=$(sysctl -n kernel.bpf_stats_enabled)
server_pid=""
cleanup() {
  sysctl -qw kernel.bpf_stats_enabled="$bpf_stats_before"
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp -r "$work"/. "$KEEP"/; fi
  rm -rf "$work"
}
trap cleanup EXIT
sysctl -qw kernel.bpf_stats_enabled=1

"$SERVER" --port "$PORT" --work "$WORK" > "$work/server.out" &
server_pid=$!
for _ in $(seq 50); do grep -q PORT "$work/server.out" 2>/dev/null && break; sleep 0.1; done
url=http://127.0.0.1:$PORT/
wrk -t1 -c"$CONNS" -d2s "$url" > /dev/null  # threads started, caches warm

# CPU time (ms) of a process, all its threads, and of its main thread alone
# (loadprof's symbolizing thread runs at SCHED_IDLE: the rest is its CPU).
cpu_ms() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.3f", s / 1e6}'; }
main_cpu_ms() { awk '{printf "%.3f", $1 / 1e6}' /proc/"$1"/task/"$1"/schedstat 2>/dev/null; }

sides=(none)
for hz in $HZS; do sides+=(loadprof$hz perf$hz); done
sides+=(none2)
record_s=$((LEAD_S + WINDOW_S + 1))
: > "$work/rows"
: > "$work/costs"
for round in $(seq 1 "$ROUNDS"); do
  mapfile -t order < <(round_order "$round" "${sides[@]}")
  for side in "${order[@]}"; do
    hz=${side//[!0-9]/}
    prof_pid=""
    case $side in
      loadprof*)
        "$LOADPROF" -v record --pid "$server_pid" --probes "$PROBES" --frequency "$hz" --duration "$record_s" \
          --output "$work/r$round.$side.lpc" 2> "$work/r$round.$side.err" &
        prof_pid=$! ;;
      perf*)
        perf record -q -g -F "$hz" -p "$server_pid" -o "$work/r$round.$side.data" -- sleep "$record_s" \
          2> "$work/r$round.$side.err" &
        prof_pid=$! ;;
    esac
    [ -n "$prof_pid" ] && sleep "$LEAD_S"
    # perf's own process: the child of `perf record` is sleep; perf is prof_pid itself.
    c0=-
    m0=-
    [ -n "$prof_pid" ] && c0=$(cpu_ms "$prof_pid") && m0=$(main_cpu_ms "$prof_pid")
    rps=$(wrk -t1 -c"$CONNS" -d"${WINDOW_S}s" "$url" | awk '/Requests\/sec/ {print $2}')
    prof_ms_per_s=-
    main_ms_per_s=-
    if [ -n "$prof_pid" ]; then
      c1=$(cpu_ms "$prof_pid")
      m1=$(main_cpu_ms "$prof_pid")
      prof_ms_per_s=$(awk -v a="$c0" -v b="$c1" -v w="$WINDOW_S" 'BEGIN {printf "%.2f", (b - a) / w}')
      main_ms_per_s=$(awk -v a="$m0" -v b="$m1" -v w="$WINDOW_S" 'BEGIN {printf "%.2f", (b - a) / w}')
      wait "$prof_pid" || { echo "round $round $side: the profiler failed:" >&2; cat "$work/r$round.$side.err" >&2; exit 1; }
    fi
    echo "$round $side $rps $prof_ms_per_s $main_ms_per_s" >> "$work/rows"
    if [[ $side == loadprof* ]]; then
      echo "$round $side $work/r$round.$side.err $work/r$round.$side.lpc" >> "$work/costs"
    fi
    rm -f "$work/r$round.$side.data"
    echo "round $round $side: $rps req/s, profiler ${prof_ms_per_s} ms CPU per s in the window" \
      "(main thread ${main_ms_per_s})" >&2
  done
done

echo "Rounds: $ROUNDS; per run ${WINDOW_S} s of wrk -t1 -c$CONNS starting ${LEAD_S} s after the profiler;"
echo "cpu_server --work $WORK (thread per connection), server and wrk unpinned on $(nproc) CPUs; loadprof --probes $PROBES."
echo "Load average before: $load_before; after: $(loadavg). $(date -u '+%Y-%m-%d %H:%M UTC')."
echo
python3 bench/record/loss_table.py "$work/rows" --value req/s \
  --extra "profiler CPU in the window ms/s,… of its main thread (normal priority) ms/s"
echo
python3 bench/record/saturated_table.py "$work/costs" --loadprof "$LOADPROF"
