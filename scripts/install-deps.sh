#!/usr/bin/env bash
# Installs every Debian package the build, the tests and the example need.
# Idempotent; run as root (or with sudo). Used by the README and .ci/run.
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
packages=(
  build-essential cmake pkg-config clang llvm libclang-rt-14-dev
  libbpf-dev bpftool libelf-dev libdw-dev libunwind-dev zlib1g-dev
  libboost-program-options-dev nlohmann-json3-dev libzstd-dev libpcre2-dev
  libgtest-dev googletest
  python3-jsonschema
  util-linux libcap2-bin procps
  chromium libc6-dbg
  libxml2-utils
  golang-go                  # go tool pprof: the tests read our pprof export with it
  linux-perf                 # the perf-script import test records with perf and compares with perf report
  nginx                      # a distribution binary without frame pointers: DWARF unwinding's proof (dwarf_e2e_test)
  redis-server redis-tools   # the same with redis-server under redis-benchmark (dwarf_e2e_test)
  libjemalloc2               # the alloc probe must find jemalloc when a target links it (alloc_e2e_test)
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
