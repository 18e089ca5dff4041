// Names the analysis shows: a frame's display name (as in the folded export)
// and the process name that roots a stack.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// function, with "_[k]" for kernel frames (capture/folded.h's frame_display_name).
std::string display_name(const capture::Frame& frame);

// pid -> the name at the root of its stacks: the process's command, else its
// main thread's name, else "pid N" (a sample of a process the capture never described).
class ProcessNames {
 public:
  explicit ProcessNames(const capture::Capture& capture);
  const std::string& name_of(uint32_t pid) const;

 private:
  std::unordered_map<uint32_t, std::string> names_;
  mutable std::unordered_map<uint32_t, std::string> unknown_;
};

}  // namespace loadprof::analyze
