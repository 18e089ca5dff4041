// Capability inspection for permission errors.
#include "privilege.h"

#include <cstdio>
#include <cstring>

namespace loadprof::collect {
namespace {

constexpr int kCapSysAdmin = 21;
constexpr int kCapPerfmon = 38;
constexpr int kCapBpf = 39;

unsigned long long effective_capabilities() {
  FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  unsigned long long eff = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "CapEff: %llx", &eff) == 1) break;
  }
  std::fclose(f);
  return eff;
}

}  // namespace

std::string missing_capabilities() {
  unsigned long long eff = effective_capabilities();
  if (eff & (1ull << kCapSysAdmin)) return {};
  std::string missing;
  if (!(eff & (1ull << kCapBpf))) missing = "CAP_BPF";
  if (!(eff & (1ull << kCapPerfmon))) missing += missing.empty() ? "CAP_PERFMON" : ", CAP_PERFMON";
  return missing;
}

Error permission_error(const std::string& what, int err) {
  std::string missing = missing_capabilities();
  std::string msg = what + ": " + std::strerror(err) + ": needs root or CAP_BPF and CAP_PERFMON";
  msg += missing.empty() ? " (capabilities present; check perf_event_paranoid, unprivileged_bpf_disabled, LSM)"
                         : " (missing: " + missing + ")";
  return make_error(ErrorKind::permission, msg);
}

}  // namespace loadprof::collect
