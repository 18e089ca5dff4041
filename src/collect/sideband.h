// The perf sideband: one PERF_COUNT_SW_DUMMY event per CPU that carries no
// samples, only mmap2 (with build-ids), comm (exec), fork and exit records,
// timed on CLOCK_MONOTONIC, so maps and processes are known over time even
// for processes that are gone before anyone could read /proc.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"
#include "perf_ring.h"

namespace loadprof::collect {

struct SidebandRecord {
  // throttle / unthrottle: the cpu-clock event of `cpu` stopped / resumed
  // sampling at time_ns (routed into this ring with PERF_EVENT_IOC_SET_OUTPUT).
  enum class Kind : uint8_t { mmap, comm, fork, exit, lost, throttle, unthrottle };
  Kind kind = Kind::mmap;
  uint64_t time_ns = 0;
  uint32_t cpu = 0;
  uint32_t pid = 0;
  uint32_t tid = 0;
  uint32_t ppid = 0;  // fork/exit
  uint32_t ptid = 0;
  capture::Mapping mapping;  // mmap: build_id set when the kernel supplied it
  std::string comm;
  bool exec = false;         // comm: the comm changed because of exec
  uint64_t lost = 0;         // lost: records the kernel could not write
};

// Parses one perf record (header included) of an event opened with
// sample_id_all and PERF_SAMPLE_TID | PERF_SAMPLE_TIME. false: not a kind we
// use, or malformed. Pure; unit-tested.
bool parse_sideband_record(std::span<const uint8_t> record, uint32_t cpu, SidebandRecord& out);

class Sideband {
 public:
  static Result<Sideband> open(const std::vector<int>& cpus, size_t data_pages_per_cpu);
  // The event fd of the i-th CPU of open()'s list (its ring takes other
  // events' records through PERF_EVENT_IOC_SET_OUTPUT).
  int fd(size_t i) const { return rings_[i].fd(); }
  // Appends every record available now on every CPU.
  void read(std::vector<SidebandRecord>& out);

 private:
  Sideband() = default;
  std::vector<PerfRing> rings_;
  std::vector<int> cpus_;
};

}  // namespace loadprof::collect
