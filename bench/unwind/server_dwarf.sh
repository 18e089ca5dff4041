#!/usr/bin/env bash
# DWARF unwinding on real servers without frame pointers (Debian's nginx or
# redis-server): the server pinned to CPU 1, its load generator (wrk, or
# redis-benchmark) and the recorder pinned to CPU 0; the recorder attaches by
# pid for the load's SECONDS. Per side, alternated over ROUNDS: the server's
# throughput (requests/s), the recorder's CPU (user+sys), the capture's bytes,
# the share of cpu stacks reaching main and the time from capture to folded
# stacks (perf: `perf script` + an awk collapse). Sides: none, loadprof
# --unwind fp, --unwind dwarf (cpu probe), dwarf with the offcpu probe
# (registers + 4 KiB of stack copied at each switch-out), perf record
# --call-graph dwarf (its default 8 KiB copy); fp-offcpu (on request) is the
# offcpu probe with frame-pointer stacks, to set the copies apart.
#
#   bench/unwind/server_dwarf.sh nginx|redis [ROUNDS=5] [SECONDS=5] [HZ=99]
#   env: LOADPROF (build/src/cli/loadprof), SIDES ("none fp dwarf dwarf-offcpu perf-dwarf")
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
SERVER=${1:?nginx or redis}
ROUNDS=${2:-5}
SECS=${3:-5}
HZ=${4:-99}
SIDES=${SIDES:-none fp dwarf dwarf-offcpu perf-dwarf}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
need perf linux-perf
need /usr/bin/time time
need taskset util-linux
need_built "$LOADPROF" loadprof
case $SERVER in
  nginx) need /usr/sbin/nginx nginx; need wrk wrk ;;
  redis) need /usr/bin/redis-server redis-server; need redis-benchmark redis-tools ;;
  *) echo "server: nginx or redis" >&2; exit 2 ;;
esac
need_done
work=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$SERVER" = nginx ]; then
  mkdir -p $work/www
  for i in $(seq 0 3999); do echo "line $i of a page that gzip compresses, again and again"; done > $work/www/page.txt
  cat > $work/nginx.conf << EOF
daemon off; master_process on; worker_processes 1; user root; pid $work/nginx.pid;
error_log $work/error.log;
events { worker_connections 64; }
http { access_log off; gzip on; gzip_types text/plain; gzip_min_length 0; gzip_comp_level 6;
  client_body_temp_path $work/t1; proxy_temp_path $work/t2; fastcgi_temp_path $work/t3;
  uwsgi_temp_path $work/t4; scgi_temp_path $work/t5;
  server { listen 127.0.0.1:$PORT; root $work/www; default_type text/plain; } }
EOF
  taskset -c 1 /usr/sbin/nginx -c $work/nginx.conf -p $work &
else
  taskset -c 1 /usr/bin/redis-server --port $PORT --save '' --appendonly no --dir $work > /dev/null &
fi
server_pid=$!
sleep 1
pids=$(pgrep -d, -P $server_pid || true)
pids=$server_pid${pids:+,$pids}
echo "server $SERVER pids $pids, $HZ Hz, ${SECS}s x $ROUNDS rounds; load average before: $(loadavg)"

# Requests per second of one load run (on CPU 0).
load_run() {
  if [ "$SERVER" = nginx ]; then
    taskset -c 0 wrk -t1 -c4 -d${SECS}s -H 'Accept-Encoding: gzip' http://127.0.0.1:$PORT/page.txt |
      awk '/^Requests\/sec/ {print $2}'
  else
    # Stopped by timeout (it ignores SIGINT), it prints no rate: the server's own command count gives it.
    taskset -c 0 timeout -s KILL "$SECS" redis-benchmark -p $PORT -q -n 100000000 -c 8 -t get > /dev/null 2>&1 || true
  fi
}
commands() { redis-cli -p $PORT info commandstats 2>/dev/null | sed -n 's/^cmdstat_get:calls=\([0-9]*\).*/\1/p'; }
cpu_s() { awk '/^cpu/ {print $2 + $3}' "$1"; }
main_pct() { awk '{n = $NF; t += n; if ($0 ~ /(^|;)main(;| )/) m += n} END {printf "%.1f", t ? 100 * m / t : 0}'; }
# ... reaching main or a thread's start (off-CPU: threads wait too).
root_pct() { awk '{n = $NF; t += n; if ($0 ~ /(^|;)(main|start_thread|clone3?)(;| )/) m += n} END {printf "%.1f", t ? 100 * m / t : 0}'; }
collapse() {
  awk '/^[^ \t]/ {if (s != "") c[s]++; s = ""; next} /^[ \t]+[0-9a-f]+ / {f = $2; sub(/\+0x[0-9a-f]+$/, "", f); s = (s == "" ? f : f ";" s); next} END {if (s != "") c[s]++; for (k in c) print k, c[k]}'
}

run_side() {  # SIDE -> one result line
  local side=$1 out=$work/$1 rec=
  local before=0 rps
  [ "$SERVER" = redis ] && before=$(commands)
  case $side in
    none) ;;
    fp | dwarf | dwarf-offcpu | fp-offcpu)
      local unwind=${side%-offcpu} probes=cpu
      [ "$side" != "$unwind" ] && probes=cpu,offcpu
      taskset -c 0 /usr/bin/time -f "cpu %U %S" -o $out.time "$LOADPROF" record -v --frequency "$HZ" \
        --unwind $unwind --probes $probes --output $out.lpc --pid $pids --duration $((SECS + 1))s \
        > /dev/null 2> $out.err &
      rec=$! ;;
    perf-dwarf)
      taskset -c 0 /usr/bin/time -f "cpu %U %S" -o $out.time timeout -s INT $((SECS + 1)) perf record -q \
        -F "$HZ" --call-graph dwarf -o $out.data -p $pids > /dev/null 2> $out.err &
      rec=$! ;;
  esac
  sleep 0.5
  rps=$(load_run)
  if [ "$SERVER" = redis ]; then
    rps=$(awk -v a="$before" -v b="$(commands)" -v s="$SECS" 'BEGIN {printf "%.0f", (b - a) / s}')
  fi
  [ -n "$rec" ] && { wait $rec || true; }
  local extra=""
  case $side in
    none) ;;
    fp | dwarf | dwarf-offcpu | fp-offcpu)
      local t0 t1
      t0=$(date +%s%N)
      "$LOADPROF" report $out.lpc --format folded --kind cpu > $out.folded
      t1=$(date +%s%N)
      extra="recorder_cpu_s=$(cpu_s $out.time) bytes=$(stat -c %s $out.lpc) main_pct=$(main_pct < $out.folded) folded_ms=$(((t1 - t0) / 1000000))"
      [ "${side%-offcpu}" != "$side" ] && extra="$extra offcpu_root_pct=$("$LOADPROF" report $out.lpc --format folded --kind offcpu | root_pct)"
      extra="$extra lost=$(grep -o 'lost:.*' $out.err | tr ' ' ',' || true)" ;;
    perf-dwarf)
      local t0 t1
      t0=$(date +%s%N)
      perf script -i $out.data 2> /dev/null | collapse > $out.folded
      t1=$(date +%s%N)
      extra="recorder_cpu_s=$(cpu_s $out.time) bytes=$(stat -c %s $out.data) main_pct=$(main_pct < $out.folded) folded_ms=$(((t1 - t0) / 1000000))" ;;
  esac
  echo "$side rps=$rps $extra load=$(loadavg | cut -d' ' -f1)"
}

for ((r = 1; r <= ROUNDS; r++)); do
  # shellcheck disable=SC2086
  for side in $(round_order $r $SIDES); do run_side $side; done
done
echo "load average after: $(loadavg)"
