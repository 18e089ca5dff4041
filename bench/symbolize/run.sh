#!/usr/bin/env bash
# Symbolization benchmark: loadprof's Symbolizer vs llvm-symbolizer (the
# anchor) on the same reproducible workload (seed 42): 100,000 samples drawn
# from 3,000 distinct code addresses over the fixture program, its dlopen'ed
# library, libc, libstdc++, libm, libgcc_s and ld.so.
#   bench/symbolize/run.sh [BUILD_DIR] [ROUNDS]
# Builds the bench target, prepares the workload once, then alternates the two
# sides ROUNDS times (default 5), loadprof pinned to CPU 0 and llvm-symbolizer
# to CPU 1, and prints median, spread (min..max) and ratio.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=${1:-$root/build}
rounds=${2:-5}
work=$(mktemp -d /tmp/loadprof-bench-symbolize.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Benchmark-only tools: the anchor, python3 for the statistics, GNU time for CPU time.
missing=()
command -v llvm-symbolizer >/dev/null || missing+=(llvm)
command -v python3 >/dev/null || missing+=(python3)
[ -x /usr/bin/time ] || missing+=(time)
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target bench_symbolize >/dev/null
bench=$build/tests/symbolize/bench_symbolize

"$bench" prepare "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  taskset -c 0 "$bench" measure "$work" > "$work/ours.$r"
  s=$(date +%s%N)
  /usr/bin/time -f "%U %S" -o "$work/llvm.time" taskset -c 1 llvm-symbolizer < "$work/llvm_input.txt" > "$work/llvm.out"
  e=$(date +%s%N)
  { echo "llvm_100k_ms=$(( (e - s) / 1000000 ))"
    awk '{printf "llvm_100k_cpu_ms=%.0f\n", ($1 + $2) * 1000}' "$work/llvm.time"; } > "$work/llvm.$r"
  echo "round $r: $(tr "\n" " " < "$work/ours.$r")| $(tr "\n" " " < "$work/llvm.$r")"
done
taskset -c 0 "$bench" measure "$work" --uncached | grep uncached > "$work/uncached"
echo "uncached (once): $(cat "$work/uncached")"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"

# Agreement: outermost function name of every distinct address, ours vs llvm-symbolizer.
"$bench" names "$work" > "$work/names.ours"
llvm-symbolizer < "$work/distinct_llvm_input.txt" > "$work/names.llvm.raw"

python3 - "$work" "$rounds" <<'PY'
import statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def series(prefix, key):
    out = []
    for r in range(1, rounds + 1):
        for line in open(f"{work}/{prefix}.{r}"):
            k, v = line.strip().split("=")
            if k == key:
                out.append(float(v))
    return out
def show(name, xs):
    print(f"{name:32s} median {statistics.median(xs):8.1f} ms  spread {min(xs):.1f}..{max(xs):.1f}")
    return statistics.median(xs)
ours = show("loadprof leaf 100k cold, wall", series("ours", "leaf_100k_cold_ms"))
ours_cpu = show("loadprof leaf 100k cold, cpu", series("ours", "leaf_100k_cold_cpu_ms"))
show("loadprof leaf 100k warm, wall", series("ours", "leaf_100k_warm_ms"))
show("loadprof 100k x 8 cold, wall", series("ours", "stacks_100k_x8_cold_ms"))
show("loadprof 100k x 8 cold, cpu", series("ours", "stacks_100k_x8_cold_cpu_ms"))
llvm = show("llvm-symbolizer 100k, wall", series("llvm", "llvm_100k_ms"))
llvm_cpu = show("llvm-symbolizer 100k, cpu", series("llvm", "llvm_100k_cpu_ms"))
print(f"ratio llvm-symbolizer / loadprof (leaf 100k cold): wall {llvm / ours:.2f}, cpu {llvm_cpu / ours_cpu:.2f}")

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
print(f"names: {len(ours)} distinct addresses; named by both: {len(both)}; same function: {same_outer} "
      f"({100.0 * same_outer / max(1, len(both)):.1f} %); same whole inline chain: {same_chain} "
      f"({100.0 * same_chain / max(1, len(both)):.1f} %); with inline frames (llvm): {inl}, of which same chain: {same_inl}; "
      f"ours module+0x: {sum(1 for o in ours if '+0x' in o[-1])}; llvm '??': {sum(1 for l in llvm if l == ['??'])}")
for o, l in [(o, l) for o, l in both if [norm(x) for x in o] != [norm(x) for x in l]][:8]:
    print(f"  differs: ours {o} llvm {l}")
PY
