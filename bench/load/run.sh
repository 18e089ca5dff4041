#!/usr/bin/env bash
# Benchmark: `loadprof load --closed` against wrk (same threads and connections)
# on Debian's nginx (small static file) and on our test server, server pinned to
# CPU 0 and driver to CPU 1, >= 5 alternating rounds; plus loadprof's schedule
# lag at 10,000 req/s. Writes docs/benchmarks/load.md. One command:
#   bench/load/run.sh [BUILD_DIR]   (ROUNDS=5 SECONDS_PER_RUN=5 to change)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
source bench/lib.sh
need wrk wrk
need nginx nginx-light
need python3 python3
need taskset util-linux
need_done
cmake --build "$BUILD" -j2 --target loadprof loadprof_test_server >/dev/null
exec python3 bench/load/compare.py --build "$BUILD" --rounds "${ROUNDS:-5}" --seconds "${SECONDS_PER_RUN:-5}" \
  --output docs/benchmarks/load.md
