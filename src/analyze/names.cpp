// Process names at the root of stacks.
#include "names.h"

namespace loadprof::analyze {

std::string folded_name(std::string name) {
  for (char& ch : name) {
    if (ch == ';')
      ch = ':';
    else if (ch == '\n' || ch == '\r')
      ch = ' ';
  }
  if (name.empty()) name = "[unknown]";
  return name;
}

ProcessNames::ProcessNames(const capture::Capture& capture) {
  // A later record of the same pid replaces an earlier one, as the reader does.
  for (const auto& p : capture.processes) names_[p.pid] = folded_name(p.command);
}

const std::string& ProcessNames::name_of(uint32_t pid) const {
  if (auto it = names_.find(pid); it != names_.end()) return it->second;
  auto [it, inserted] = unknown_.try_emplace(pid);
  if (inserted) it->second = std::to_string(pid);
  return it->second;
}

}  // namespace loadprof::analyze
