// perf_event_open and the perf mmap ring: records are read between data_tail
// and data_head, copying those that wrap around the end of the buffer.
#pragma once

#include <linux/perf_event.h>
#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "loadprof/util/fd.h"
#include "loadprof/util/result.h"

namespace loadprof::collect {

// perf_event_open(2); EPERM/EACCES become ErrorKind::permission.
Result<UniqueFd> open_perf_event(perf_event_attr& attr, pid_t pid, int cpu);

// Copies `size` bytes at logical position `pos` out of a ring of `ring_size`
// bytes (a power of two) into out, wrapping at the end. Pure; unit-tested.
void copy_from_ring(const uint8_t* ring, uint64_t ring_size, uint64_t pos, size_t size, uint8_t* out);

class PerfRing {
 public:
  // Maps 1 + data_pages pages (data_pages a power of two) of the event's fd.
  static Result<PerfRing> map(UniqueFd fd, size_t data_pages);
  PerfRing(PerfRing&& o) noexcept;
  PerfRing& operator=(PerfRing&& o) noexcept;
  PerfRing(const PerfRing&) = delete;
  PerfRing& operator=(const PerfRing&) = delete;
  ~PerfRing();

  int fd() const { return fd_.get(); }
  // Calls fn for every complete record (header included), then frees them.
  void read(const std::function<void(std::span<const uint8_t>)>& fn);

 private:
  PerfRing() = default;
  UniqueFd fd_;
  void* base_ = nullptr;
  size_t mapped_bytes_ = 0;
  uint64_t data_size_ = 0;
  std::vector<uint8_t> scratch_;
};

}  // namespace loadprof::collect
