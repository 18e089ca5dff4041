// The recorder's view of stack quality: the stacks it symbolized and how many
// samples used each, judged as the report judges them (analyze/stack_quality.h),
// so the warning printed at the end of `record` is the report's warning.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "loadprof/analyze/stack_quality.h"
#include "loadprof/capture/model.h"

namespace loadprof::record {

class StackQualityWatch {
 public:
  // frames: leaf first, as written to the capture.
  void add_stack(capture::StackId id, const std::vector<capture::Frame>& frames, bool truncated);
  void add_sample(capture::StackId id);
  std::optional<std::string> warning() const;

 private:
  struct Entry {
    analyze::StackShape shape;
    bool truncated = false;
    uint64_t samples = 0;
  };
  std::vector<Entry> stacks_;  // by stack id; a stack without symbols yet has an empty shape
};

}  // namespace loadprof::record
