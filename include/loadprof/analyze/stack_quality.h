// How good the cpu stacks are: the distribution of user-stack depths, the
// share of stacks that reach a root (main, a thread start) and the stacks
// that stop early, by the module they stop in. A frame-pointer walk through
// code built without frame pointers does not fail: it stops after one or two
// frames, so the stack looks complete and is not. This names those modules.
// Shared by the analysis (report) and the recorder (its stderr warning), so
// both say the same thing about the same stacks.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

// A stack without a root and with at most this many user frames stopped early.
inline constexpr uint32_t kStoppedEarlyMaxDepth = 2;
// The report and the recorder warn when at least this share of the samples
// with a user stack stopped early.
inline constexpr double kPoorStacksWarnPct = 10.0;

// Functions where a complete user stack ends (or starts, root first): main,
// _start, __libc_start_main, start_thread, clone, ...
bool is_root_function(std::string_view function);

struct StackShape {
  uint32_t user_depth = 0;     // unwound user frames (inline frames are not unwound: not counted)
  bool reaches_root = false;   // a root function is among its user frames
  bool stopped_early = false;  // no root and 1..kStoppedEarlyMaxDepth user frames
  std::string stop_module;     // module of the outermost user frame ("" without user frames)
};

// frames: leaf first, as capture::Stack holds them.
StackShape stack_shape(const std::vector<const capture::Frame*>& frames);

struct ModuleStackQuality {
  std::string module;
  uint64_t samples = 0;          // samples whose user stack ends in this module
  uint64_t stopped_early = 0;    // of those, the stopped-early ones
  double stopped_early_pct = 0;  // stopped_early of all samples with a user stack
};

struct DepthBucket {
  std::string label;  // "1", "2", "3-4", ..., "17+"
  uint32_t min_depth = 0;
  uint32_t max_depth = 0;  // UINT32_MAX for the last
  uint64_t samples = 0;
  double pct = 0;  // of all samples with a user stack
};

struct StackQuality {
  uint64_t samples = 0;       // cpu samples with a stack
  uint64_t kernel_only = 0;   // of those, without any user frame (not judged)
  uint64_t user_samples = 0;  // with at least one user frame: the base of the percentages
  uint64_t reached_root = 0;
  uint64_t stopped_early = 0;
  uint64_t truncated = 0;  // the unwinder itself cut the stack (an address outside the code)
  double reached_root_pct = 0;
  double stopped_early_pct = 0;
  double truncated_pct = 0;
  std::vector<DepthBucket> depths;  // 1, 2, 3-4, 5-8, 9-16, 17+
  // Modules where stopped-early stacks end, most affected first.
  std::vector<ModuleStackQuality> modules;
  bool poor = false;  // stopped_early_pct >= kPoorStacksWarnPct
};

// Adds stacks (with their sample counts) and produces the summary.
class StackQualityTally {
 public:
  void add(const StackShape& shape, bool truncated, uint64_t samples);
  StackQuality finish() const;

 private:
  StackQuality q_;
  std::vector<uint64_t> depth_counts_ = std::vector<uint64_t>(6, 0);
  std::map<std::string, ModuleStackQuality> modules_;
};

// The warning the report shows first and the recorder prints, naming the
// modules and what to do; none when the stacks are fine.
std::optional<std::string> stack_quality_warning(const StackQuality& quality);

// What to do about stacks that stop early (the report's section repeats it).
extern const char* const kStackQualityAdvice;

}  // namespace loadprof::analyze
