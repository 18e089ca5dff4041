#!/usr/bin/env bash
# Benchmark: a 3-step scenario journey with a token capture vs the single-URL
# requests/s of the same driver, on our test server (server on CPU 0, driver on
# CPU 1, >= 5 alternating rounds), and memory per virtual user. Replaces its
# section of docs/benchmarks/load.md. One command:
#   bench/load/scenario.sh [BUILD_DIR]   (ROUNDS=5 SECONDS_PER_RUN=5 to change)
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
cmake --build "$BUILD" -j2 --target loadprof loadprof_test_server >/dev/null
exec python3 bench/load/scenario.py --build "$BUILD" --rounds "${ROUNDS:-5}" --seconds "${SECONDS_PER_RUN:-5}" \
  --output docs/benchmarks/load.md
