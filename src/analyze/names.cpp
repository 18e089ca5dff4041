// Display names of frames and processes.
#include "names.h"

namespace loadprof::analyze {

std::string display_name(const capture::Frame& frame) {
  return frame.kernel ? frame.function + "_[k]" : frame.function;
}

ProcessNames::ProcessNames(const capture::Capture& capture) {
  for (const auto& t : capture.threads) {
    if (t.tid == t.pid && !t.name.empty()) names_[t.pid] = t.name;
  }
  // A process's own record wins over its main thread's name (a later record
  // of the same pid replaces an earlier one, as the reader does).
  for (const auto& p : capture.processes) {
    if (!p.command.empty()) names_[p.pid] = p.command;
  }
}

const std::string& ProcessNames::name_of(uint32_t pid) const {
  if (auto it = names_.find(pid); it != names_.end()) return it->second;
  auto [it, inserted] = unknown_.try_emplace(pid);
  if (inserted) it->second = "pid " + std::to_string(pid);
  return it->second;
}

}  // namespace loadprof::analyze
