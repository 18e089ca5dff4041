// Streaming .lpc writer: records are buffered and written as independent zstd
// chunks (dictionaries before the data that uses them) on flush(); a recorder
// killed mid-run loses at most what was not flushed yet. Not thread-safe: one
// thread adds, flushes and finishes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

class CaptureWriter {
 public:
  // Creates (truncates) path and writes the file header and the metadata chunk.
  static Result<std::unique_ptr<CaptureWriter>> create(const std::string& path, const Metadata& metadata);
  virtual ~CaptureWriter() = default;

  virtual void add_clock_sync(const ClockSync& sync) = 0;
  // A later record for the same pid (e.g. with exit info) replaces the earlier one on read.
  virtual void add_process(const Process& process) = 0;
  virtual void add_thread(const Thread& thread) = 0;
  virtual void add_mapping(const Mapping& mapping) = 0;
  // Ids are assigned sequentially from 0 in call order; the writer does not deduplicate.
  virtual FrameId add_frame(const Frame& frame) = 0;
  virtual StackId add_stack(const Stack& stack) = 0;
  // New frames for a stack added earlier (its raw addresses first, its symbols
  // once resolved): the reader replaces the stack's frames.
  virtual void replace_stack(StackId id, const Stack& stack) = 0;
  virtual void add_cpu_sample(const CpuSample& sample) = 0;
  virtual void add_offcpu(const OffCpuInterval& interval) = 0;
  virtual void add_io_syscall(const IoSyscallRecord& calls) = 0;
  virtual void add_io_device(const IoDeviceRecord& requests) = 0;
  virtual void add_alloc(const AllocEvent& event) = 0;
  // mmap probe: one (process, op, stack)'s calls over about a second.
  virtual void add_mmap(const MmapRecord& record) = 0;
  // The alloc probe's method and counts; written on the next flush, the last one wins on read.
  virtual void set_alloc_info(const AllocInfo& info) = 0;
  virtual void add_cpu_accounting(const CpuAccounting& accounting) = 0;
  virtual void add_request(const RequestRecord& request) = 0;
  // The load run of a bench capture; written on the next flush, the last one wins on read.
  virtual void set_load_run(const LoadRun& run) = 0;
  virtual void add_resource(const ResourceSample& sample) = 0;
  virtual void add_socket(const SocketRecord& socket) = 0;
  virtual void add_offcpu_waker(const OffCpuWaker& /*waker*/) {}
  // Cumulative counters; the last one written wins on read.
  virtual void set_drops(const DropCounters& drops) = 0;
  // Per-module unwind figures so far (cumulative; written at the next flush).
  virtual void set_unwind(const std::vector<UnwindModule>& /*modules*/) {}

  // Writes everything pending as complete chunks. Called about once a second by
  // the recorder; also happens on its own when pending data passes a size bound.
  [[nodiscard]] virtual Result<void> flush() = 0;
  // flush() + the end chunk. The file is complete afterwards.
  [[nodiscard]] virtual Result<void> finish(const EndInfo& end) = 0;

  virtual uint64_t bytes_written() const = 0;
};

// Writes a whole in-memory capture (an import) to path, finished with its end
// record when it has one.
[[nodiscard]] Result<void> write_whole_capture(const std::string& path, const Capture& capture);

}  // namespace loadprof::capture
