// Stack quality: depth distribution, roots reached, stacks stopped early by
// module. See docs/DESIGN.md ("Stack quality") for why depth and roots, not
// the ELF, decide.
#include "loadprof/analyze/stack_quality.h"

#include <algorithm>
#include <array>
#include <cstdio>

namespace loadprof::analyze {
namespace {

double pct(uint64_t part, uint64_t whole) {
  return whole == 0 ? 0.0 : 100.0 * static_cast<double>(part) / static_cast<double>(whole);
}

std::string fixed1(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

struct BucketDef {
  const char* label;
  uint32_t min_depth, max_depth;
};
constexpr std::array<BucketDef, 6> kBuckets = {
    {{"1", 1, 1}, {"2", 2, 2}, {"3-4", 3, 4}, {"5-8", 5, 8}, {"9-16", 9, 16}, {"17+", 17, UINT32_MAX}}};

}  // namespace

const char* const kStackQualityAdvice =
    "Frame-pointer unwinding (--unwind fp) cannot walk through code built without frame pointers: the walk "
    "stops after one or two frames and the callers are lost. Record with --unwind auto (the default) or "
    "--unwind dwarf, which unwind such code by its DWARF CFI (.eh_frame), or rebuild those binaries with "
    "-fno-omit-frame-pointer (and -mno-omit-leaf-frame-pointer).";

bool is_root_function(std::string_view f) {
  // glibc's thread and process starts, musl's, and the kernel-facing entries.
  static constexpr std::string_view kRoots[] = {"main",
                                                "_start",
                                                "__libc_start_main",
                                                "__libc_start_call_main",
                                                "start_thread",
                                                "clone",
                                                "clone3",
                                                "__clone",
                                                "__clone3",
                                                "thread_start",
                                                "__start_thread",
                                                "_dl_start",
                                                "_dl_start_user",
                                                "__libc_start_main_impl",
                                                "start"};
  for (auto r : kRoots) {
    if (f == r) return true;
  }
  return false;
}

StackShape stack_shape(const std::vector<const capture::Frame*>& frames) {
  StackShape s;
  const capture::Frame* outermost = nullptr;
  for (const capture::Frame* f : frames) {
    if (f->kernel) continue;
    if (!f->inlined) ++s.user_depth;
    if (is_root_function(f->function)) s.reaches_root = true;
    outermost = f;
  }
  if (outermost) s.stop_module = outermost->module.empty() ? "[unknown]" : outermost->module;
  s.stopped_early = !s.reaches_root && s.user_depth > 0 && s.user_depth <= kStoppedEarlyMaxDepth;
  return s;
}

void StackQualityTally::add(const StackShape& shape, bool truncated, uint64_t samples) {
  q_.samples += samples;
  if (shape.user_depth == 0) {
    q_.kernel_only += samples;
    return;
  }
  q_.user_samples += samples;
  if (truncated) q_.truncated += samples;
  if (shape.reaches_root) q_.reached_root += samples;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (shape.user_depth >= kBuckets[i].min_depth && shape.user_depth <= kBuckets[i].max_depth) {
      depth_counts_[i] += samples;
      break;
    }
  }
  ModuleStackQuality& m = modules_[shape.stop_module];
  m.module = shape.stop_module;
  m.samples += samples;
  if (shape.stopped_early) {
    q_.stopped_early += samples;
    m.stopped_early += samples;
  }
}

StackQuality StackQualityTally::finish() const {
  StackQuality q = q_;
  const uint64_t base = q.user_samples;
  q.reached_root_pct = pct(q.reached_root, base);
  q.stopped_early_pct = pct(q.stopped_early, base);
  q.truncated_pct = pct(q.truncated, base);
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    q.depths.push_back({kBuckets[i].label, kBuckets[i].min_depth, kBuckets[i].max_depth, depth_counts_[i],
                        pct(depth_counts_[i], base)});
  }
  for (const auto& [name, m] : modules_) {
    if (m.stopped_early == 0) continue;
    ModuleStackQuality out = m;
    out.stopped_early_pct = pct(m.stopped_early, base);
    q.modules.push_back(std::move(out));
  }
  std::stable_sort(q.modules.begin(), q.modules.end(),
                   [](const auto& a, const auto& b) { return a.stopped_early > b.stopped_early; });
  q.poor = base > 0 && q.stopped_early_pct >= kPoorStacksWarnPct;
  return q;
}

std::optional<std::string> stack_quality_warning(const StackQuality& q) {
  if (!q.poor) return std::nullopt;
  std::string text = "poor stacks: " + fixed1(q.stopped_early_pct) + " % of the cpu samples (" +
                     std::to_string(q.stopped_early) + " of " + std::to_string(q.user_samples) +
                     ") have a user stack that stops after at most " + std::to_string(kStoppedEarlyMaxDepth) +
                     " frames without reaching main or a thread start; they stop in ";
  constexpr size_t kMaxNamed = 4;
  size_t named = 0;
  for (const auto& m : q.modules) {
    if (named == kMaxNamed || (named > 0 && m.stopped_early_pct < 1.0)) break;
    text += (named ? ", " : "") + m.module + " (" + fixed1(m.stopped_early_pct) + " %)";
    ++named;
  }
  if (named < q.modules.size()) text += " and " + std::to_string(q.modules.size() - named) + " more";
  text +=
      ", most likely built without frame pointers: their callers are missing from the flame graph and "
      "the total times. Record with --unwind auto (the default) or --unwind dwarf, or rebuild them with "
      "-fno-omit-frame-pointer.";
  return text;
}

}  // namespace loadprof::analyze
