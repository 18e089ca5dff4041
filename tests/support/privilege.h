// Tests that need BPF/perf privileges skip only when the privilege is really
// missing; with LOADPROF_REQUIRE_BPF=1 (set by .ci/run, which runs as root) a
// missing privilege is a failure, so a green CI means the probes really ran.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace loadprof::testing {

inline bool have_bpf_privileges() {
  if (geteuid() == 0) {
    // Root may still have had its capabilities dropped; check the effective set.
    FILE* f = std::fopen("/proc/self/status", "r");
    if (!f) return true;
    char line[256];
    unsigned long long eff = 0;
    while (std::fgets(line, sizeof line, f)) {
      if (std::sscanf(line, "CapEff: %llx", &eff) == 1) break;
    }
    std::fclose(f);
    const unsigned long long cap_bpf = 1ull << 39, cap_perfmon = 1ull << 38, cap_sys_admin = 1ull << 21;
    return (eff & cap_sys_admin) || ((eff & cap_bpf) && (eff & cap_perfmon));
  }
  return false;
}

inline bool bpf_required() {
  const char* v = std::getenv("LOADPROF_REQUIRE_BPF");
  return v && std::string(v) == "1";
}

}  // namespace loadprof::testing

#define LOADPROF_REQUIRE_BPF_PRIVILEGES()                                                   \
  do {                                                                                      \
    if (!::loadprof::testing::have_bpf_privileges()) {                                      \
      if (::loadprof::testing::bpf_required()) FAIL() << "BPF privileges missing but LOADPROF_REQUIRE_BPF=1"; \
      GTEST_SKIP() << "needs root or CAP_BPF+CAP_PERFMON";                                  \
    }                                                                                       \
  } while (0)
