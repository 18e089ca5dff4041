#!/usr/bin/env bash
# The README's first command: sets up a fresh machine, builds loadprof, profiles
# the bundled example (a checkout-service simulation) for 5 s and writes its
# report and flame graph to out/example/; then profiles a server under load
# (`loadprof bench`: every 10th request of tests/programs/cpu_server burns 10 ms
# in burn_slow_request) and writes that report to out/bench/.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
mkdir -p out/example
build/src/cli/loadprof record --frequency 999 --output out/example/checkout.lpc -- build/examples/checkout_sim --seconds 5
build/src/cli/loadprof report out/example/checkout.lpc --output-dir out/example
build/src/cli/loadprof report out/example/checkout.lpc
echo
echo "Report and flame graph in out/example/: $(ls out/example | tr "\n" " ")"
echo
mkdir -p out/bench
build/src/cli/loadprof bench http://127.0.0.1:18080/ --rate 200 --duration 5s --probes cpu,offcpu --frequency 999 \
  --output out/bench/bench.lpc -- build/tests/programs/cpu_server --port 18080 --slow-every 10 --slow-ms 10
build/src/cli/loadprof report out/bench/bench.lpc --output-dir out/bench
echo
echo "Under load (what the slowest requests did, per-stage CPU, resources) in out/bench/: $(ls out/bench | tr "\n" " ")"
