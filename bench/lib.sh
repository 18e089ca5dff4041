# shellcheck shell=bash
# Shared by the bench scripts (sourced, not run). Benchmarks install nothing:
# a missing tool is named with the command that provides it, and the script stops.
#
#   need TOOL PACKAGE         # TOOL on PATH (or an executable path), else "apt-get install PACKAGE"
#   need_built PATH TARGET    # a file of our build, else "cmake --build BUILD_DIR --target TARGET"
#   need_done                 # prints what is missing and how to get it; exits 1 if anything is

_bench_missing=()

need() {
  local tool=$1 package=$2
  if [[ $tool == /* ]]; then
    [ -x "$tool" ] && return 0
  else
    command -v "$tool" >/dev/null 2>&1 && return 0
  fi
  _bench_missing+=("$tool: apt-get install --no-install-recommends $package")
}

need_built() {
  local path=$1 target=$2
  [ -e "$path" ] && return 0
  _bench_missing+=("$path: cmake --build BUILD_DIR -j2 --target $target")
}

need_done() {
  [ ${#_bench_missing[@]} -eq 0 ] && return 0
  echo "missing for this benchmark (nothing is installed by it):" >&2
  printf '  %s\n' "${_bench_missing[@]}" >&2
  exit 1
}

# "1.23 1.10 0.95" (1, 5 and 15 minute load averages).
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# round_order ROUND SIDE... : the sides rotated by ROUND-1 and reversed every
# other round, one per line, so no side always runs first, last or after the same one.
round_order() {
  local round=$1
  shift
  local sides=("$@") n=$# i
  local order=()
  for ((i = 0; i < n; i++)); do order+=("${sides[$(((i + round - 1) % n))]}"); done
  if [ $((round % 2)) -eq 0 ]; then
    for ((i = n - 1; i >= 0; i--)); do echo "${order[$i]}"; done
  else
    printf '%s\n' "${order[@]}"
  fi
}
