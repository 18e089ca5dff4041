// Names the analysis shows, by the same rules as the folded export
// (capture/folded.h), so a top stack reads exactly like its folded line.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// A name as the folded export writes it: ';' (the frame separator) becomes
// ':', line breaks become spaces, an empty name is "[unknown]".
std::string folded_name(std::string name);

// pid -> the frame at the root of its stacks: the process's command, or the
// pid in decimal for a sample of a process the capture never described
// (as capture::folded_stacks writes it).
class ProcessNames {
 public:
  explicit ProcessNames(const capture::Capture& capture);
  const std::string& name_of(uint32_t pid) const;

 private:
  std::unordered_map<uint32_t, std::string> names_;
  mutable std::unordered_map<uint32_t, std::string> unknown_;
};

}  // namespace loadprof::analyze
