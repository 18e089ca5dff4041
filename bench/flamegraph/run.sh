#!/usr/bin/env bash
# Flame graph benchmark: loadprof flamegraph against flamegraph.pl on the same
# seeded 60 MiB, 50,000-stack folded file. Each side is pinned to its own CPU
# with taskset; the sides alternate (order swapped every round) over ROUNDS
# rounds; median, spread (min..max) and ratio are printed, with max RSS.
#
# usage: bench/flamegraph/run.sh [ROUNDS]          (default 5)
# env:   LOADPROF_BIN   loadprof binary (default build/src/cli/loadprof)
#        FLAMEGRAPH_PL  flamegraph.pl (default: WORK/FlameGraph/flamegraph.pl, a clone of
#                       brendangregg/FlameGraph made by hand; only run, never committed)
#        WORK           scratch directory (default /tmp/loadprof-bench-flamegraph)
#        CPU_LOADPROF, CPU_PERL   CPUs to pin each side to (default 1 and 0)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5}
LOADPROF_BIN=${LOADPROF_BIN:-build/src/cli/loadprof}
WORK=${WORK:-/tmp/loadprof-bench-flamegraph}
CPU_LOADPROF=${CPU_LOADPROF:-1}
CPU_PERL=${CPU_PERL:-0}
mkdir -p "$WORK"

if [ ! -x "$LOADPROF_BIN" ]; then
  cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build build -j2 --target loadprof >/dev/null
fi
FLAMEGRAPH_PL=${FLAMEGRAPH_PL:-$WORK/FlameGraph/flamegraph.pl}
source bench/lib.sh
need perl perl
need python3 python3
need taskset util-linux
need /usr/bin/time time
need_done
if [ ! -f "$FLAMEGRAPH_PL" ]; then  # the anchor is fetched by hand, never by this script
  echo "flamegraph.pl not found at $FLAMEGRAPH_PL: set FLAMEGRAPH_PL, or fetch it (it is only run, never committed):" >&2
  echo "  git clone --depth 1 https://github.com/brendangregg/FlameGraph $WORK/FlameGraph" >&2
  exit 1
fi

INPUT="$WORK/stacks.folded"
SHUFFLED="$WORK/stacks.shuffled.folded"
if [ ! -f "$INPUT" ]; then
  python3 bench/flamegraph/gen_folded.py "$INPUT"
  # Same lines in a seeded random order: no shared prefixes between neighbours.
  shuf --random-source=<(yes) "$INPUT" > "$SHUFFLED"
fi
BYTES=$(stat -c %s "$INPUT")
echo "input: $INPUT  $BYTES bytes ($(python3 -c "print(f'{$BYTES/2**20:.1f}')") MiB), $(wc -l < "$INPUT") stacks, $(awk '{s+=$NF} END {print s}' "$INPUT") samples"
echo "md5: $(md5sum < "$INPUT" | cut -d' ' -f1)"
echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CPU CMD...: appends "NAME wall_us max_rss_kib user_s sys_s" to $WORK/times
run() {
  local name=$1 cpu=$2
  shift 2
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%M %U %S" -o "$WORK/rss" taskset -c "$cpu" "$@"
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000 )) $(cat "$WORK/rss")" >> "$WORK/times"
}

lp()  { run loadprof "$CPU_LOADPROF" "$LOADPROF_BIN" flamegraph "$INPUT" --output "$WORK/loadprof.svg"; }
lps() { run loadprof_shuffled "$CPU_LOADPROF" "$LOADPROF_BIN" flamegraph "$SHUFFLED" --output "$WORK/loadprof.shuffled.svg"; }
pl()  { run flamegraph.pl "$CPU_PERL" sh -c "perl '$FLAMEGRAPH_PL' '$INPUT' > '$WORK/flamegraph-pl.svg'"; }

: > "$WORK/times"
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) -eq 1 ]; then lp; pl; else pl; lp; fi
  lps
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

python3 - "$WORK/times" "$BYTES" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
size_mib = int(sys.argv[2]) / 2**20
by = {}
for name, us, rss, user, system in rows:
    by.setdefault(name, []).append((int(us) / 1e6, int(rss), float(user) + float(system)))
med, cpu_med = {}, {}
print("wall = elapsed seconds; cpu = user + sys seconds (less sensitive to other load on the machine)")
print(f"{'side':18} {'runs':>4} {'wall med':>8} {'min':>7} {'max':>7} {'MiB/s':>6} {'cpu med':>8} {'min':>6} {'max':>6} {'MiB/s':>6} {'RSS MiB':>8}")
for name in ("loadprof", "loadprof_shuffled", "flamegraph.pl"):
    v = by.get(name, [])
    if not v:
        continue
    t = [x for x, _, _ in v]
    c = [x for _, _, x in v]
    m, cm = statistics.median(t), statistics.median(c)
    med[name], cpu_med[name] = m, cm
    print(f"{name:18} {len(t):4} {m:8.3f} {min(t):7.3f} {max(t):7.3f} {size_mib / m:6.1f} {cm:8.2f} {min(c):6.2f} {max(c):6.2f} "
          f"{size_mib / max(cm, 0.01):6.1f} {max(r for _, r, _ in v) / 1024:8.1f}")
if "loadprof" in med and "flamegraph.pl" in med:
    print(f"ratio flamegraph.pl / loadprof (medians): wall {med['flamegraph.pl'] / med['loadprof']:.1f}x, "
          f"cpu {cpu_med['flamegraph.pl'] / cpu_med['loadprof']:.1f}x")
PY
echo "frames drawn: loadprof $(grep -o 'data-frames="[0-9]*"' "$WORK/loadprof.svg" | tr -dc 0-9), flamegraph.pl $(grep -c '^<g >' "$WORK/flamegraph-pl.svg" || true)"
echo "svg bytes: loadprof $(stat -c %s "$WORK/loadprof.svg"), flamegraph.pl $(stat -c %s "$WORK/flamegraph-pl.svg")"
