// The stack samples of one kind, with their weights, as both stack exports
// (pprof, speedscope) need them: what a sample counts and in which unit is
// decided here once per kind, so the two formats cannot disagree. The kinds
// whose stacks are not the capture's (wall, wakers: a reason leaf, a waker's
// stack) bring their own frames and stacks, numbered after the capture's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::report {

struct KindSample {
  uint64_t time_ns = 0;  // monotonic: sample time (cpu), interval start (offcpu), first call (io)
  uint32_t pid = 0;
  uint32_t tid = 0;
  capture::StackId stack = capture::kNoStack;
  uint64_t count =
      0;  // events: samples (cpu), blocked intervals (offcpu), syscalls (io), allocations (alloc*)
  uint64_t weight =
      0;  // in KindSamples::weight_unit: nanoseconds — count x period (cpu), blocked time
          // (offcpu), time in the calls (io); bytes — allocated (alloc), still live (alloc-live)
};

struct KindSamples {
  std::string kind;
  std::string
      count_name;  // pprof sample type of `count`: "samples", "intervals", "calls", "alloc_objects"...
  std::string
      weight_name;  // pprof sample type of `weight`: "cpu", "offcpu", "io", "alloc_space", "inuse_space"
  std::string weight_unit = "nanoseconds";  // or "bytes" (alloc, alloc-live)
  bool has_weight = false;                  // false: cpu without a known frequency (count only)
  uint64_t period_ns = 0;                   // cpu: 1e9 / frequency_hz; 0 when not periodic
  std::vector<KindSample> samples;          // in capture order
  // Frames and stacks of this kind beyond the capture's: FrameId
  // capture.frames.size() + i is extra_frames[i], the same for stacks. wall:
  // the off-CPU reason as a leaf frame "[offcpu:lock]"; wakers: the waker's
  // stack root first, "--wakes--", the reason, the waiting stack (leaf first,
  // as capture stacks are: the folded line of the same kind read backwards).
  std::vector<capture::Frame> extra_frames;
  std::vector<capture::Stack> extra_stacks;

  // A frame or stack of the capture or of this kind; nullptr when out of range.
  const capture::Frame* frame(const capture::Capture& c, capture::FrameId id) const;
  const capture::Stack* stack(const capture::Capture& c, capture::StackId id) const;
};

// alloc and alloc-live are estimates under sampling (each recorded
// allocation stands for 1 / the probability it was recorded), as in the
// folded output; wall and wakers weigh what their folded output weighs (cpu
// samples x period plus off-CPU ns; ns blocked with a waker stack). Errors:
// usage for an unknown kind.
[[nodiscard]] Result<KindSamples> kind_samples(const capture::Capture& capture, const std::string& kind);

}  // namespace loadprof::report
