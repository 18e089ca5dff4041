// Export to Brendan Gregg's folded format: "root;...;leaf COUNT", the process
// name as the root frame (as stackcollapse-perf does), kernel frames with the
// suffix "_[k]", inline frames as frames of their own.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

struct FoldedLine {
  std::string stack;   // "proc;main;work;hot"
  uint64_t count = 0;  // samples (cpu), ns (offcpu, wall), ...
};

// kind: "cpu" (weight: samples), "offcpu" (ns off the CPU; the reason as a
// leaf frame "[offcpu:lock]"), "wall" (ns: cpu samples x 1e9 / frequency,
// plus the off-CPU ns as in "offcpu"), "io" (ns inside the syscalls, or with
// weight "bytes" the bytes they moved; the syscall and fd kind as a leaf
// frame "[io:fsync:file]"), "alloc" (bytes allocated by the recorded
// allocations, scaled under sampling; weight "count": calls), "alloc-live"
// (the same for the allocations still live at the end). weight: "time", or
// "bytes" for io, alloc and alloc-live, "count" for alloc and alloc-live
// (usage error otherwise), "wakers" (--offcpu-wakers: ns blocked, the
// waiter's stack and reason frame, then "--wakes--" and the waker's stack
// leaf first, as BCC's offwaketime folds it). Lines merged and sorted by stack.
[[nodiscard]] Result<std::vector<FoldedLine>> folded_stacks(const Capture& capture, const std::string& kind,
                                                            const std::string& weight = "time");
void write_folded(std::ostream& out, const std::vector<FoldedLine>& lines);

// The display name of a frame: function (+ "_[k]" for kernel frames).
std::string frame_display_name(const Frame& frame);

// The synthetic frames of the offcpu, wall and wakers kinds, shared with the
// stack exports: the reason leaf ("[offcpu:lock]") and the separator between a
// waiting stack and its waker's.
const char* offcpu_reason_frame(OffCpuReason reason);
inline constexpr char kWakesFrame[] = "--wakes--";

}  // namespace loadprof::capture
