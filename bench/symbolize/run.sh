#!/usr/bin/env bash
# Symbolization benchmark: loadprof's Symbolizer vs llvm-symbolizer (the anchor)
# on the same reproducible workload (seed 42): 100,000 sampled leaf addresses
# drawn from 3,000 distinct code addresses over the fixture program, its
# dlopen'ed library, libc, libstdc++, libm, libgcc_s and ld.so.
#
#   bench/symbolize/run.sh [BUILD_DIR=build] [ROUNDS=5]
#   env: CPU_LOADPROF (default 0), CPU_LLVM (default 1)
#
# Like with like: both sides are timed the same way, as a process pinned with
# taskset, reading the same stdin ("PATH 0xFILE_OFFSET" lines) and writing the
# same plain output, one write per address (llvm-symbolizer's protocol;
# `bench_symbolize symbolize` speaks it). Wall time from outside, user+sys and
# max RSS from /usr/bin/time. Pairs:
#   cold, per address  loadprof --no-cache vs llvm-symbolizer on the 100,000 lines
#                      (neither caches per address; both keep opened modules)
#   deduplicated       both on the distinct lines of that input, each once
#   (reference)        loadprof with its per-address cache on the 100,000 lines:
#                      what the cache saves at equal I/O (not against llvm-symbolizer,
#                      which has no such cache)
#   start-up           both on empty input
# The order of the runs is reversed every other round. Then loadprof in-process
# (`bench_symbolize measure`, no anchor: the library's own cost) and the
# agreement of names with llvm-symbolizer.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
source "$root/bench/lib.sh"
build=${1:-$root/build}
rounds=${2:-5}
cpu_lp=${CPU_LOADPROF:-0}
cpu_llvm=${CPU_LLVM:-1}
need llvm-symbolizer llvm
need python3 python3
need /usr/bin/time time
need taskset util-linux
need_done
work=$(mktemp -d /tmp/loadprof-bench-symbolize.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -f "$build/CMakeCache.txt" ] || cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j2 --target bench_symbolize >/dev/null
bench=$build/tests/symbolize/bench_symbolize

"$bench" prepare "$work"
leaf=$work/llvm_input.txt                      # 100,000 leaf addresses, as llvm-symbolizer input
awk '!seen[$0]++' "$leaf" > "$work/dedup.txt"  # the same addresses, each once (first-seen order)
echo "inputs: $(wc -l < "$leaf") addresses, $(wc -l < "$work/dedup.txt") distinct"
echo "load average before: $(loadavg)"

# run NAME CPU INPUT CMD...: one timed process; appends "NAME wall_ms cpu_ms rss_kib" to times.
: > "$work/times"
run() {
  local name=$1 cpu=$2 input=$3
  shift 3
  local t0 t1
  t0=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$work/t" taskset -c "$cpu" "$@" < "$input" > "$work/$name.out" 2> "$work/$name.err"
  t1=$(date +%s%N)
  echo "$name $(( (t1 - t0) / 1000 )) $(awk '{printf "%.0f %d", ($1 + $2) * 1e6, $3}' "$work/t")" >> "$work/times"
  # Every input line must have its block (blank line) in the output.
  local want got
  want=$(wc -l < "$input")
  got=$(grep -c '^$' "$work/$name.out" || true)
  [ "$want" -eq "$got" ] || { echo "$name: $got answers for $want addresses" >&2; exit 1; }
}
runs=(
  "lp_nocache_100k $cpu_lp $leaf $bench symbolize $work --no-cache"
  "llvm_100k $cpu_llvm $leaf llvm-symbolizer"
  "lp_dedup $cpu_lp $work/dedup.txt $bench symbolize $work"
  "llvm_dedup $cpu_llvm $work/dedup.txt llvm-symbolizer"
  "lp_cached_100k $cpu_lp $leaf $bench symbolize $work"
  "lp_empty $cpu_lp /dev/null $bench symbolize $work"
  "llvm_empty $cpu_llvm /dev/null llvm-symbolizer"
)
for r in $(seq 1 "$rounds"); do
  order=("${runs[@]}")
  if [ $((r % 2)) -eq 0 ]; then
    order=()
    for ((i = ${#runs[@]} - 1; i >= 0; i--)); do order+=("${runs[$i]}"); done
  fi
  for spec in "${order[@]}"; do
    # shellcheck disable=SC2086  # the spec is a word list on purpose (no spaces in the paths used)
    run $spec
  done
  taskset -c "$cpu_lp" "$bench" measure "$work" --uncached > "$work/inproc.$r"
  echo "round $r done (load average $(loadavg))" >&2
done
echo "loadprof process, last round: $(cat "$work/lp_cached_100k.err") (cached); $(cat "$work/lp_nocache_100k.err") (--no-cache)"
echo "load average after: $(loadavg)"

# Agreement: outermost function name of every distinct address, ours vs llvm-symbolizer.
"$bench" names "$work" > "$work/names.ours"
llvm-symbolizer < "$work/distinct_llvm_input.txt" > "$work/names.llvm.raw"

python3 - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
by = {}
for line in open(f"{work}/times"):
    name, us, cpu_us, rss = line.split()
    by.setdefault(name, []).append((int(us) / 1e3, int(cpu_us) / 1e3, int(rss) / 1024))
def med(name, i):
    return statistics.median(x[i] for x in by[name])
def spread(name, i):
    xs = [x[i] for x in by[name]]
    return f"{min(xs):.1f}..{max(xs):.1f}"
labels = {
    "lp_nocache_100k": "loadprof --no-cache, 100k addresses",
    "llvm_100k": "llvm-symbolizer, 100k addresses",
    "lp_dedup": "loadprof, distinct addresses",
    "llvm_dedup": "llvm-symbolizer, distinct addresses",
    "lp_cached_100k": "loadprof (cache on), 100k addresses",
    "lp_empty": "loadprof, empty input (start-up)",
    "llvm_empty": "llvm-symbolizer, empty input (start-up)",
}
print(f"\nProcesses, {rounds} rounds: median (min..max)\n")
print("| run | wall ms | user+sys ms | max RSS MiB |")
print("|---|---:|---:|---:|")
for name, label in labels.items():
    print(f"| {label} | {med(name, 0):.1f} ({spread(name, 0)}) | {med(name, 1):.0f} ({spread(name, 1)}) | {med(name, 2):.0f} |")
def compare(title, ours, theirs, n):
    word = lambda r: f"{r:.2f}x slower" if r > 1 else f"{1 / r:.2f}x faster"
    w = med(ours, 0) / med(theirs, 0)
    c = med(ours, 1) / max(med(theirs, 1), 1e-9)
    # The same with each side's start-up (its empty-input run) taken off: cost per address.
    ow, tw = med(ours, 0) - med("lp_empty", 0), med(theirs, 0) - med("llvm_empty", 0)
    print(f"{title}: loadprof {med(ours, 0):.1f} ms vs llvm-symbolizer {med(theirs, 0):.1f} ms wall -> loadprof "
          f"{word(w)} (CPU: {word(c)}); start-up taken off: {1e3 * ow / n:.1f} vs {1e3 * tw / n:.1f} us per "
          f"address -> {word(ow / tw)}")
n100k = sum(1 for _ in open(f"{work}/llvm_input.txt"))
ndistinct = sum(1 for _ in open(f"{work}/dedup.txt"))
print()
compare("cold, per address (no per-address cache on either side), 100k", "lp_nocache_100k", "llvm_100k", n100k)
compare(f"same deduplicated address set ({ndistinct}), loadprof as shipped (cache on)", "lp_dedup", "llvm_dedup",
        ndistinct)
print(f"what loadprof's cache saves on the 100k (same process, same I/O): {med('lp_nocache_100k', 0):.1f} -> "
      f"{med('lp_cached_100k', 0):.1f} ms wall")

def series(key):
    out = []
    for r in range(1, rounds + 1):
        for line in open(f"{work}/inproc.{r}"):
            k, v = line.strip().split("=")
            if k == key:
                out.append(float(v))
    return out
print("\nloadprof in-process (bench_symbolize measure: the library alone, no process, no text I/O), no anchor:")
for key, label in [("leaf_100k_cold_ms", "leaf 100k cold (cache on), wall"),
                   ("leaf_100k_cold_cpu_ms", "leaf 100k cold (cache on), cpu"),
                   ("leaf_100k_warm_ms", "leaf 100k warm, wall"),
                   ("leaf_100k_uncached_ms", "leaf 100k no cache, wall"),
                   ("stacks_100k_x8_cold_ms", "100k x 8 frames cold, wall"),
                   ("stacks_100k_x8_cold_cpu_ms", "100k x 8 frames cold, cpu")]:
    xs = series(key)
    print(f"  {label:34s} median {statistics.median(xs):8.1f} ms  spread {min(xs):.1f}..{max(xs):.1f}")

# llvm-symbolizer prints "name\nfile:line:col\n" per frame (inline frames
# first) and a blank line per address.
blocks, cur = [], []
for line in open(f"{work}/names.llvm.raw"):
    line = line.rstrip("\n")
    if line == "":
        blocks.append(cur); cur = []
    else:
        cur.append(line)
llvm = [b[0::2] for b in blocks]
ours = [l.rstrip("\n").split(" | ") for l in open(f"{work}/names.ours")]
# libstdc++'s demangler writes "operator<< <T>", LLVM's "operator<<<T>".
norm = lambda n: n.replace("<< <", "<<<").replace("< <", "<<")
both = [(o, l) for o, l in zip(ours, llvm) if l != ["??"] and "+0x" not in o[-1]]
same_outer = sum(1 for o, l in both if norm(o[-1]) == norm(l[-1]))
same_chain = sum(1 for o, l in both if [norm(x) for x in o] == [norm(x) for x in l])
inl = sum(1 for o, l in both if len(l) > 1)
same_inl = sum(1 for o, l in both if len(l) > 1 and [norm(x) for x in o] == [norm(x) for x in l])
print(f"\nnames: {len(ours)} distinct addresses; named by both: {len(both)}; same function: {same_outer} "
      f"({100.0 * same_outer / max(1, len(both)):.1f} %); same whole inline chain: {same_chain} "
      f"({100.0 * same_chain / max(1, len(both)):.1f} %); with inline frames (llvm): {inl}, of which same chain: {same_inl}; "
      f"ours module+0x: {sum(1 for o in ours if '+0x' in o[-1])}; llvm '??': {sum(1 for l in llvm if l == ['??'])}")
for o, l in [(o, l) for o, l in both if [norm(x) for x in o] != [norm(x) for x in l]][:8]:
    print(f"  differs: ours {o} llvm {l}")
PY
