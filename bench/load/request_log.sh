#!/usr/bin/env bash
# bench's request log under load: `loadprof bench` at 10,000 req/s for SECS
# seconds against tests/programs/slow_server (no slow requests); every request
# the driver counted must be in the capture's request log, none dropped
# (issue 10 part 6). The check is the e2e test's own, run longer than CI runs
# it (5 s there): tests/cli/bench_modes_e2e_test RequestLogRoundTripsWithoutLossAt10kRps.
#
#   bench/load/request_log.sh [SECS=30]      (as root: bench records with BPF)
#   env: TEST (build/tests/cli/bench_modes_e2e_test)
set -euo pipefail
cd "$(dirname "$0")/../.."
source bench/lib.sh
SECS=${1:-30}
TEST=${TEST:-build/tests/cli/bench_modes_e2e_test}
need_built "$TEST" bench_modes_e2e_test
need_built build/tests/programs/slow_server test_programs
need_done
echo "load average before: $(loadavg)"
LOADPROF_REQUIRE_BPF=1 LOADPROF_LOG_TEST_SECONDS=$SECS "$TEST" \
  --gtest_filter='*RequestLogRoundTripsWithoutLossAt10kRps*'
echo "load average after: $(loadavg)"
