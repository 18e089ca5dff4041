// The mmap probe's figures (report.json's alloc.mmap): what the target did to
// its address space — anonymous mappings made and removed, brk growth and
// shrinkage, mremap growth and shrinkage, file mappings apart — in calls and
// bytes, and the stacks that mapped (mmap of anonymous memory, brk growth,
// mremap growth: the ways a heap grows) or
// unmapped the most, each named by its allocating function.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::analyze {

inline constexpr size_t kMmapOps = 8;  // capture::MmapOp without other

struct MmapStackStat {
  uint32_t pid = 0;
  capture::StackId stack = capture::kNoStack;
  std::string op;                   // "mmap", "munmap" (anonymous), "brk" or "mremap" (growth)
  std::string frame;                // the allocating function: the first frame outside the C library
  std::vector<std::string> frames;  // the stack, leaf first (at most 32 frames)
  uint64_t calls = 0;
  uint64_t bytes = 0;
  bool truncated = false;
};

struct MmapSummary {
  // By capture::MmapOp: mmap_anon, mmap_file, munmap_anon, munmap_file, brk_grow, brk_shrink,
  // mremap_grow, mremap_shrink.
  std::array<uint64_t, kMmapOps> calls{};
  std::array<uint64_t, kMmapOps> bytes{};
  // Anonymous growth of the address space: mapped + brk grown + mremap grown - unmapped (anonymous)
  // - brk shrunk - mremap shrunk.
  int64_t anon_net_bytes = 0;
  // Anonymous mmap, anonymous munmap, brk growth and mremap growth by stack, by bytes descending.
  std::vector<MmapStackStat> stacks;
};

// nullopt when the capture holds no mmap records and the alloc probe did not run.
std::optional<MmapSummary> summarize_mmap(const capture::Capture& capture);

// "mmap", "mmap (file)", "munmap", "munmap (file)", "brk grow", "brk shrink", "mremap grow",
// "mremap shrink".
const char* mmap_op_name(size_t op);

}  // namespace loadprof::analyze
