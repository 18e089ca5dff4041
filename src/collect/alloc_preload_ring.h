// Recorder side of the alloc probe's preload path: the shared-memory ring of
// src/preload/alloc_ring.h (a memfd the launched command inherits), the
// environment that makes the command load libloadprof_alloc.so and join it,
// and the reader that hands each published record (struct lp_alloc_event, as
// the uprobe path's ring buffer gives it) to the collector.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "alloc_ring.h"
#include "loadprof/util/fd.h"
#include "loadprof/util/result.h"

namespace loadprof::collect {

// libloadprof_alloc.so: $LOADPROF_ALLOC_PRELOAD, else next to the loadprof
// binary, else ../lib/loadprof/ from it. not_available when none exists.
Result<std::string> find_alloc_preload_library();

class AllocPreloadRing {
 public:
  using RecordFn = std::function<void(std::span<const uint8_t>)>;

  // slot_count 0: a default (8,192 slots of 1,088 bytes, ~8.5 MiB).
  static Result<std::unique_ptr<AllocPreloadRing>> open(uint64_t sample_period_bytes, uint32_t slot_count,
                                                        RecordFn on_record);
  ~AllocPreloadRing();
  AllocPreloadRing(const AllocPreloadRing&) = delete;
  AllocPreloadRing& operator=(const AllocPreloadRing&) = delete;

  // The memfd the command must inherit (close-on-exec here; the launcher clears it in the child).
  int fd() const { return fd_.get(); }
  // "LD_PRELOAD=<library>[:the one already set]" and "LOADPROF_ALLOC_FD=<fd>".
  std::vector<std::string> environment() const;
  const std::string& library_path() const { return library_; }

  // Hands every published record to on_record, in ring order. A slot claimed
  // by a writer that never publishes it (killed mid-record) is skipped and
  // counted after a second, and at once when final (the end of the capture).
  void consume(bool final);

  // Counters of bpf/alloc.h (every process that joined, summed).
  std::array<uint64_t, LP_ALLOC_COUNTERS> counters() const;
  uint64_t processes() const;                          // processes that loaded the library
  uint64_t not_interposed() const;                     // ... whose malloc resolved before ours
  uint64_t unwinder_allocations() const;               // allocations by the unwinder itself (not profiled)
  uint64_t unfinished() const { return unfinished_; }  // claimed slots never published
  // The module the first process's malloc resolved to; "" before one joined.
  std::string allocator_path() const;

 private:
  AllocPreloadRing() = default;
  uint64_t counter(uint32_t index) const;
  uint64_t ring_counter(uint32_t index) const;

  RecordFn on_record_;
  UniqueFd fd_;
  std::string library_;
  lp_alloc_ring_header* header_ = nullptr;
  size_t bytes_ = 0;
  uint64_t pos_ = 0;
  uint64_t unfinished_ = 0;
  uint64_t stuck_pos_ = 0;       // the unpublished slot consume() last stopped at
  uint64_t stuck_since_ns_ = 0;  // ... since when (0: not stuck)
};

}  // namespace loadprof::collect
