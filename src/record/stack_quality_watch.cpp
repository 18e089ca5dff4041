// Stack quality seen while recording; see stack_quality_watch.h.
#include "stack_quality_watch.h"

namespace loadprof::record {

void StackQualityWatch::add_stack(capture::StackId id, const std::vector<capture::Frame>& frames,
                                  bool truncated) {
  std::vector<const capture::Frame*> ptrs;
  ptrs.reserve(frames.size());
  for (const auto& f : frames) ptrs.push_back(&f);
  if (stacks_.size() <= id) stacks_.resize(id + 1);
  stacks_[id].shape = analyze::stack_shape(ptrs);
  stacks_[id].truncated = truncated;
}

// A sample may come before its stack's symbols (they follow from another thread).
void StackQualityWatch::add_sample(capture::StackId id) {
  if (id == capture::kNoStack) return;
  if (stacks_.size() <= id) stacks_.resize(id + 1);
  ++stacks_[id].samples;
}

std::optional<std::string> StackQualityWatch::warning() const {
  analyze::StackQualityTally tally;
  for (const auto& e : stacks_) {
    if (e.samples > 0) tally.add(e.shape, e.truncated, e.samples);
  }
  return analyze::stack_quality_warning(tally.finish());
}

}  // namespace loadprof::record
