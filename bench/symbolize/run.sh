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

command -v llvm-symbolizer >/dev/null || { echo "llvm-symbolizer not found (apt-get install llvm)" >&2; exit 1; }
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target bench_symbolize >/dev/null
bench=$build/tests/symbolize/bench_symbolize

"$bench" prepare "$work"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq 1 "$rounds"); do
  taskset -c 0 "$bench" measure "$work" > "$work/ours.$r"
  s=$(date +%s%N)
  taskset -c 1 llvm-symbolizer < "$work/llvm_input.txt" > "$work/llvm.out"
  e=$(date +%s%N)
  echo "llvm_100k_ms=$(( (e - s) / 1000000 ))" > "$work/llvm.$r"
  echo "round $r: $(tr '\n' ' ' < "$work/ours.$r") | $(cat "$work/llvm.$r")"
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
    print(f"{name:28s} median {statistics.median(xs):8.1f} ms  spread {min(xs):.1f}..{max(xs):.1f}")
    return statistics.median(xs)
ours = show("loadprof leaf 100k (cold)", series("ours", "leaf_100k_cold_ms"))
show("loadprof leaf 100k (warm)", series("ours", "leaf_100k_warm_ms"))
show("loadprof 100k x 8 frames", series("ours", "stacks_100k_x8_cold_ms"))
llvm = show("llvm-symbolizer leaf 100k", series("llvm", "llvm_100k_ms"))
print(f"ratio llvm-symbolizer / loadprof (leaf 100k, cold): {llvm / ours:.2f}")

# llvm-symbolizer prints blocks "name\nfile:line:col\n" per frame, a blank line per address.
blocks, cur = [], []
for line in open(f"{work}/names.llvm.raw"):
    line = line.rstrip("\n")
    if line == "":
        blocks.append(cur); cur = []
    else:
        cur.append(line)
llvm_names = [b[-2] if len(b) >= 2 else "??" for b in blocks]
ours_names = [l.rstrip("\n") for l in open(f"{work}/names.ours")]
both = [(o, l) for o, l in zip(ours_names, llvm_names) if l != "??" and "+0x" not in o]
same = sum(1 for o, l in both if o == l)
print(f"names: {len(ours_names)} distinct addresses; named by both: {len(both)}; identical: {same} "
      f"({100.0 * same / max(1, len(both)):.1f} %); ours unresolved (module+0x): "
      f"{sum(1 for o in ours_names if '+0x' in o)}; llvm '??': {sum(1 for l in llvm_names if l == '??')}")
diff = [(o, l) for o, l in both if o != l][:8]
for o, l in diff:
    print(f"  differs: ours {o!r} llvm {l!r}")
PY
