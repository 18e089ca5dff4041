#!/usr/bin/env bash
# False-positive rate and power of `loadprof diff` on real captures (not a
# test: too long). tests/programs/regress is recorded at 999 Hz, 2*PAIRS times
# as the same build ("fast") and SLOW times with compute() 2x slower ("slow").
# Independent same-build pairs (1,2), (3,4), ... are diffed: exit 1 there is a
# false positive (SPEC's target: <= 5 %). Every slow capture is diffed against
# a different fast one: exit 1 naming compute there is a detection. Also the
# largest same-build |delta| seen and how often each function was flagged.
#
#   bench/diff/false_positives.sh [PAIRS=20] [SECS=3] [SLOW=5]
#   env: LOADPROF (build/src/cli/loadprof), PROG (build/tests/programs/regress), KEEP=1 keeps the captures
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
PAIRS=${1:-20}
SECS=${2:-3}
SLOW=${3:-5}
LOADPROF=${LOADPROF:-build/src/cli/loadprof}
PROG=${PROG:-build/tests/programs/regress}
need python3 python3
need_built "$LOADPROF" loadprof
need_built "$PROG" test_programs
need_done
[ "$(id -u)" = 0 ] || { echo "run as root (loadprof record needs CAP_BPF/CAP_PERFMON)" >&2; exit 1; }
dir=$(mktemp -d /tmp/loadprof-diff-fp.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$dir"' EXIT
echo "loadprof diff false positives: $PAIRS same-build pairs, $SLOW slow captures, ${SECS}s at 999 Hz; load $(loadavg)"

record() {  # record NAME MODE
  "$LOADPROF" record --frequency 999 --output "$dir/$1.lpc" -- "$PROG" "$SECS" "$2" >"$dir/$1.out" 2>"$dir/$1.err" ||
    { echo "record $1 failed:" >&2; cat "$dir/$1.err" >&2; exit 1; }
}

for i in $(seq 1 $((2 * PAIRS))); do record "fast$i" fast; done
for i in $(seq 1 "$SLOW"); do record "slow$i" slow; done

fp=0
for p in $(seq 1 "$PAIRS"); do
  a=$((2 * p - 1)) b=$((2 * p))
  set +e
  "$LOADPROF" diff "$dir/fast$a.lpc" "$dir/fast$b.lpc" --json "$dir/same$p.json" >/dev/null 2>&1
  rc=$?
  set -e
  [ $rc -le 1 ] || { echo "diff failed (exit $rc)" >&2; exit 1; }
  [ $rc -eq 1 ] && fp=$((fp + 1))
done
hit=0
for s in $(seq 1 "$SLOW"); do
  set +e
  "$LOADPROF" diff "$dir/fast$s.lpc" "$dir/slow$s.lpc" --json "$dir/slow$s.json" >/dev/null 2>&1
  rc=$?
  set -e
  [ $rc -le 1 ] || { echo "diff failed (exit $rc)" >&2; exit 1; }
  if [ $rc -eq 1 ] && python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); s=d["stacks"][0]
sys.exit(0 if s["frame"]=="compute" and s["verdict"]=="regression" else 1)' "$dir/slow$s.json"; then
    hit=$((hit + 1))
  fi
done

python3 - "$dir" "$PAIRS" "$SLOW" "$fp" "$hit" <<'PY'
import json, sys, collections
d, pairs, slow, fp, hit = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
flagged = collections.Counter()
worst = (0.0, "", "")
min_p = float("inf")

def truth(name):  # the program's own compute share
    for line in open(f"{d}/{name}.out"):
        if line.startswith("GROUND_TRUTH"):
            return float(dict(kv.split("=", 1) for kv in line.split()[1:])["compute_share_pct"])

def sampled(j, side):  # the capture's compute self share, as the diff saw it
    for s in j["stacks"]:
        if s["frame"] == "compute" and s["share"] == "self":
            return s[side + "_pct"]

errors = []
for p in range(1, pairs + 1):
    j = json.load(open(f"{d}/same{p}.json"))
    for side, i in (("base", 2 * p - 1), ("new", 2 * p)):
        got = sampled(j, side)
        if got is not None:
            errors.append((abs(got - truth(f"fast{i}")), f"fast{i}", got, truth(f"fast{i}"), j["samples"]["cpu"][side]))
    for s in j["stacks"]:
        if s["verdict"] == "regression":
            flagged[f'{s["frame"]} ({s["share"]})'] += 1
        if abs(s["delta_pct_points"]) > abs(worst[0]):
            worst = (s["delta_pct_points"], s["frame"], s["share"])
        min_p = min(min_p, s["p_value"] / max(j["samples"]["cpu"]["alpha_per_test"], 1e-300))
print(f"same build: {fp}/{pairs} pairs exit 1 = {100.0 * fp / pairs:.1f} % false positives (target <= 5 %)")
print(f"  largest same-build change: {worst[0]:+.2f} points ({worst[1]} {worst[2]}); "
      f"smallest p / (alpha/m): {min_p:.2f} (below 1 is significant)")
errors.sort(reverse=True)
if errors:
    e = errors[0]
    print(f"  sampled vs measured compute share, worst capture: {e[1]} {e[2]:.1f} % vs {e[3]:.1f} % "
          f"({e[4]} samples); median error {errors[len(errors) // 2][0]:.2f} points")
for name, n in flagged.most_common():
    print(f"  flagged: {name} in {n} pair(s)")
deltas = []
for s in range(1, slow + 1):
    j = json.load(open(f"{d}/slow{s}.json"))
    top = j["stacks"][0]
    print(f'  slow{s}: {j["samples"]["cpu"]["base"]} / {j["samples"]["cpu"]["new"]} samples, '
          f'measured compute {truth(f"fast{s}"):.1f} -> {truth(f"slow{s}"):.1f} %')
    deltas.append(f'{top["frame"]} {top["base_pct"]:.1f} -> {top["new_pct"]:.1f} % (p {top["p_value"]:.1e})')
print(f"planted 2x slowdown of compute: {hit}/{slow} detected naming compute")
for x in deltas:
    print(f"  {x}")
PY
