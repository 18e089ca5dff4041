// Symbolizes the recorder's new stacks on a thread of its own at the lowest
// priority (SCHED_IDLE when loadprof may raise it back at the end, nice 19
// otherwise), so the target never waits for the recorder's biggest cost: the
// first look at each module (ELF symbols, DWARF lines and inline scopes — a
// libc with compressed debug info alone takes ~40 ms to inflate). On an idle CPU
// stacks are resolved within a poll; on a saturated machine they wait for the
// end of the recording, like perf's. The recorder writes each stack's raw
// addresses at once and its frames when they come back (capture chunk type 19).
//
// The symbolizer is the worker's alone until finish(); mappings, execs and
// stacks reach it through one queue, in the order the collector delivered them.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/symbolize/symbolizer.h"

namespace loadprof::record {

class SymbolizeWorker {
 public:
  struct Job {
    capture::StackId id = 0;
    uint32_t pid = 0;
    uint64_t time_ns = 0;
    bool truncated = false;
    std::vector<uint64_t> user_ips;    // leaf first
    std::vector<uint64_t> kernel_ips;  // leaf first
  };
  struct Done {
    capture::StackId id = 0;
    bool truncated = false;
    std::vector<capture::Frame> frames;  // kernel frames, then user frames, leaf first
  };

  // background: run on a thread of its own; false resolves everything in
  // finish() and take_done() on the caller's thread (tests, and a fallback
  // when no thread can be started).
  SymbolizeWorker(std::unique_ptr<symbolize::Symbolizer> symbolizer, bool background);
  bool background() const { return thread_.joinable(); }
  ~SymbolizeWorker();
  SymbolizeWorker(const SymbolizeWorker&) = delete;
  SymbolizeWorker& operator=(const SymbolizeWorker&) = delete;

  void add_mapping(const capture::Mapping& mapping);
  void on_exec(uint32_t pid, uint64_t time_ns);
  void add_jobs(std::vector<Job> jobs);

  // Stacks resolved since the last call, and the symbolizer's warnings.
  std::vector<Done> take_done();
  std::vector<std::string> take_warnings();

  // Stops the thread (raising its priority first when it can) and resolves
  // what is left on the caller's thread. The symbolizer is the caller's after it.
  std::vector<Done> finish();
  symbolize::Symbolizer& symbolizer() { return *symbolizer_; }

  // CPU time the symbolizing took, on the worker and in finish(); jobs
  // resolved by finish() (they waited for the end of the recording).
  uint64_t cpu_ns() const;
  uint64_t resolved_at_finish() const { return resolved_at_finish_; }
  uint64_t finish_cpu_ns() const { return finish_cpu_ns_; }
  // "SCHED_IDLE", "nice 19", "recorder thread": where the work ran.
  std::string priority() const;

 private:
  struct Exec {
    uint32_t pid;
    uint64_t time_ns;
  };
  using Item = std::variant<capture::Mapping, Exec, Job>;

  void run();
  // Resolves items from the front, in order (jobs of one batch share one
  // kernel-address prefetch); returns early, leaving the rest, when stop is raised.
  void process(std::deque<Item>& items, std::vector<Done>& done, const std::atomic<bool>* stop);

  std::unique_ptr<symbolize::Symbolizer> symbolizer_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Item> queue_;
  std::vector<Done> done_;
  std::vector<std::string> warnings_;
  bool stopping_ = false;
  std::atomic<bool> stop_requested_{false};
  bool raise_at_finish_ = false;  // SCHED_IDLE was set and can be undone
  int worker_tid_ = 0;
  std::string priority_ = "recorder thread";
  uint64_t worker_cpu_ns_ = 0;
  uint64_t finish_cpu_ns_ = 0;
  uint64_t resolved_at_finish_ = 0;
  std::thread thread_;
};

}  // namespace loadprof::record
