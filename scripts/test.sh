#!/usr/bin/env bash
# Sets up a fresh machine, builds loadprof and runs every test. This is the
# README's test command and what .ci/run runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
cmake -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j"$(nproc)"
# As root, a test that needs BPF must not skip: a green run means the probes ran.
if [ "$(id -u)" -eq 0 ]; then export LOADPROF_REQUIRE_BPF=1; fi
# install-deps.sh installed the test tools (python3-jsonschema, xmllint, chromium, go for go tool pprof):
# a test that needs one must not skip.
export LOADPROF_REQUIRE_TOOLS=1
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
