#!/usr/bin/env bash
# A performance gate for CI (docs/CI.md): bench a server under staged load,
# check the SLO over the whole run and per stage, compare with the kept
# baseline file, diff the profile against the last kept capture, and — when
# the gate passes and UPDATE_BASELINE=1 — keep this run's figures and capture
# as the next baseline. Exit 0: pass; 1: the gate failed (an SLO, a baseline
# regression or a profile regression); anything else: the gate could not run.
#
# Everything is set by the environment; the defaults bench our own test
# server (tests/programs/cpu_server) on loopback. bench records with eBPF:
# run as root (sudo -E) or with CAP_BPF + CAP_PERFMON.
set -euo pipefail

LOADPROF=${LOADPROF:-build/src/cli/loadprof}
SERVER=${SERVER:-build/tests/programs/cpu_server}  # the command bench launches (its flags follow --port)
PORT=${PORT:-18480}
URL=${URL:-http://127.0.0.1:${PORT}/api/items?work=20000}
STAGES=${STAGES:-20s:50,20s:200}
SLO=${SLO:-p95<200ms,p99<500ms@10s,errors<1%}
THRESHOLD=${THRESHOLD:-5}           # % a p95/p99 (check) or a function's share (diff) may grow
BASELINE_DIR=${BASELINE_DIR:-perf-baseline}  # kept between runs: baselines.json and last.lpc
OUT=${OUT:-perf-out}                # this run's capture and verdicts
UPDATE_BASELINE=${UPDATE_BASELINE:-1}

mkdir -p "$OUT" "$BASELINE_DIR"
gate=0
# Runs a gate step: exit 1 fails the gate and goes on (every verdict is
# shown), any other failure stops the script with its code.
step() {
  local rc=0
  "$@" || rc=$?
  if [ "$rc" -eq 1 ]; then gate=1; elif [ "$rc" -ne 0 ]; then exit "$rc"; fi
}

echo "== bench $URL, stages $STAGES"
"$LOADPROF" bench "$URL" --stages "$STAGES" --output "$OUT/new.lpc" -- "$SERVER" --port "$PORT"

echo "== SLO $SLO"
step "$LOADPROF" check "$OUT/new.lpc" --slo "$SLO" --json "$OUT/slo.json"

if [ -f "$BASELINE_DIR/baselines.json" ]; then
  echo "== baseline $BASELINE_DIR/baselines.json"
  step "$LOADPROF" check "$OUT/new.lpc" --baseline "$BASELINE_DIR/baselines.json" --threshold "$THRESHOLD" \
    --json "$OUT/baseline.json"
else
  echo "== no baseline yet ($BASELINE_DIR/baselines.json): this run starts it"
fi

if [ -f "$BASELINE_DIR/last.lpc" ]; then
  echo "== diff against the last baseline capture"
  step "$LOADPROF" diff "$BASELINE_DIR/last.lpc" "$OUT/new.lpc" --threshold "$THRESHOLD" --output-dir "$OUT/diff"
fi

if [ "$gate" -eq 0 ] && [ "$UPDATE_BASELINE" = 1 ]; then
  echo "== gate passed: this run becomes the baseline"
  "$LOADPROF" check "$OUT/new.lpc" --baseline "$BASELINE_DIR/baselines.json" --update --threshold "$THRESHOLD" \
    >/dev/null
  cp "$OUT/new.lpc" "$BASELINE_DIR/last.lpc"
fi
[ "$gate" -eq 0 ] && echo "== performance gate: pass" || echo "== performance gate: FAIL"
exit "$gate"
