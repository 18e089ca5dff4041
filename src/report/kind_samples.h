// The stack samples of one kind, with their weights, as both stack exports
// (pprof, speedscope) need them: what a sample counts and in which unit is
// decided here once per kind, so the two formats cannot disagree.
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
  uint64_t count = 0;      // events: samples (cpu), blocked intervals (offcpu), syscalls (io)
  uint64_t weight_ns = 0;  // nanoseconds: count x period (cpu), blocked time (offcpu), time in the calls (io)
};

struct KindSamples {
  std::string kind;
  std::string count_name;           // pprof sample type of `count`: "samples", "intervals", "calls"
  std::string weight_name;          // pprof sample type of `weight_ns`: "cpu", "offcpu", "io"
  bool has_weight_ns = false;       // false: cpu without a known frequency (count only)
  uint64_t period_ns = 0;           // cpu: 1e9 / frequency_hz; 0 when not periodic
  std::vector<KindSample> samples;  // in capture order
};

// Errors: not_available for a kind of the contract without records in the
// model yet (wall, alloc, alloc-live); usage for an unknown kind.
[[nodiscard]] Result<KindSamples> kind_samples(const capture::Capture& capture, const std::string& kind);

}  // namespace loadprof::report
