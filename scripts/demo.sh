#!/usr/bin/env bash
# The README's first command: sets up a fresh machine, builds loadprof, then
# runs `loadprof demo`: the demo service shipped with loadprof (planted
# bottlenecks: a CPU hot path, a contended lock, an fsync per write, a slow
# leak, an N+1 to a backend) under a staged load (ramp, plateau, 3x spike,
# recovery), recorded with every probe; the capture and the report go to
# out/demo/ (report.html first) and the top findings to the terminal.
# Arguments go to `loadprof demo` (e.g. --duration 20s).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
sudo=()
[ "$(id -u)" -eq 0 ] || sudo=(sudo)  # the probes need root (or CAP_BPF + CAP_PERFMON)
"${sudo[@]}" build/src/cli/loadprof demo --output-dir out/demo "$@"
