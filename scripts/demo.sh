#!/usr/bin/env bash
# The README's first command: sets up a fresh machine, builds loadprof, profiles
# the bundled example (a checkout-service simulation) for 5 s and writes its
# report and flame graph to out/example/.
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
