// See import_build.h.
#include "capture/import_build.h"

#include <algorithm>

#include "loadprof/util/version.h"

namespace loadprof::capture {

FrameId ImportBuilder::frame_id(const RawFrame& f) {
  FrameKey key{f.address, f.function, f.module, f.file, f.line, f.inlined, f.kernel};
  auto it = frame_ids_.find(key);
  if (it != frame_ids_.end()) return it->second;
  Frame frame;
  frame.address = f.address;
  frame.function = f.function;
  frame.module = f.module;
  frame.module_offset = f.module_offset;
  frame.file = f.file;
  frame.line = f.line;
  frame.inlined = f.inlined;
  frame.kernel = f.kernel;
  FrameId id = static_cast<FrameId>(capture_.frames.size());
  capture_.frames.push_back(std::move(frame));
  frame_ids_.emplace(std::move(key), id);
  return id;
}

void ImportBuilder::add_sample(const std::string& comm, uint32_t pid, uint32_t tid, uint32_t cpu,
                               uint64_t time_ns, const std::vector<RawFrame>& frames, uint64_t count) {
  std::vector<FrameId> ids;
  ids.reserve(frames.size());
  for (const auto& f : frames) ids.push_back(frame_id(f));
  StackId stack = kNoStack;
  if (!ids.empty()) {
    auto [it, added] = stack_ids_.try_emplace(ids, static_cast<StackId>(capture_.stacks.size()));
    if (added) capture_.stacks.push_back(Stack{ids, false});
    stack = it->second;
  }
  min_time_ns_ = std::min(min_time_ns_, time_ns);
  max_time_ns_ = std::max(max_time_ns_, time_ns);
  // The process is named by its main thread's comm when that thread samples,
  // else by the first comm seen in it.
  // Without a comm field (perf script -F pid,...) the pid names the process, as
  // the folded export does for a pid it has no process for.
  const std::string name = comm.empty() ? std::to_string(pid) : comm;
  auto [p, new_process] = process_index_.try_emplace(pid, capture_.processes.size());
  if (new_process) {
    Process process;
    process.pid = pid;
    process.command = name;
    process.start_ns = time_ns;
    process.root = true;
    capture_.processes.push_back(std::move(process));
  } else if (tid == pid && !comm.empty()) {
    capture_.processes[p->second].command = comm;
  }
  auto [t, new_thread] = thread_index_.try_emplace(tid, capture_.threads.size());
  if (new_thread)
    capture_.threads.push_back(
        Thread{pid, tid, comm.empty() ? std::to_string(tid) : comm, time_ns, std::nullopt});
  for (uint64_t i = 0; i < count; ++i)
    capture_.cpu_samples.push_back(CpuSample{time_ns, pid, tid, cpu, stack});
}

Capture ImportBuilder::finish(Metadata metadata, uint64_t period_ns) {
  if (min_time_ns_ == UINT64_MAX) min_time_ns_ = max_time_ns_ = 0;
  metadata.loadprof_version = kVersion;
  metadata.start_monotonic_ns = min_time_ns_;
  capture_.metadata = std::move(metadata);
  // perf script is in time order per CPU, not overall; readers expect samples sorted.
  std::stable_sort(capture_.cpu_samples.begin(), capture_.cpu_samples.end(),
                   [](const CpuSample& a, const CpuSample& b) { return a.time_ns < b.time_ns; });
  EndInfo end;
  end.end_ns = max_time_ns_ + period_ns;
  end.reason = "imported";
  capture_.end = end;
  return std::move(capture_);
}

}  // namespace loadprof::capture
