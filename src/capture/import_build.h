// Builds an imported Capture from parsed samples: frames and stacks
// deduplicated into the dictionaries, processes and threads named from their
// first sample's comm, the capture's start and end from the sample times.
// Shared by the perf-script and folded importers.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::capture {

// A frame as another tool printed it.
struct RawFrame {
  uint64_t address = 0;
  std::string function;  // empty when unknown
  std::string module;    // basename; "[kernel]" for kernel frames
  uint64_t module_offset = 0;
  std::string file;
  uint32_t line = 0;
  bool inlined = false;
  bool kernel = false;
};

class ImportBuilder {
 public:
  // frames leaf first; count > 1 adds that many identical samples.
  void add_sample(const std::string& comm, uint32_t pid, uint32_t tid, uint32_t cpu, uint64_t time_ns,
                  const std::vector<RawFrame>& frames, uint64_t count);
  uint64_t samples() const { return capture_.cpu_samples.size(); }
  // The capture, its metadata completed (version, start) and an end record at
  // the last sample + period_ns (reason "imported").
  Capture finish(Metadata metadata, uint64_t period_ns);

 private:
  FrameId frame_id(const RawFrame& f);

  using FrameKey = std::tuple<uint64_t, std::string, std::string, std::string, uint32_t, bool, bool>;
  Capture capture_;
  std::map<FrameKey, FrameId> frame_ids_;
  std::map<std::vector<FrameId>, StackId> stack_ids_;
  std::map<uint32_t, size_t> process_index_;  // pid -> capture_.processes
  std::map<uint32_t, size_t> thread_index_;   // tid -> capture_.threads
  uint64_t min_time_ns_ = UINT64_MAX;
  uint64_t max_time_ns_ = 0;
};

}  // namespace loadprof::capture
