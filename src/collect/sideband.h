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
  bool exec = false;  // comm: the comm changed because of exec
  uint64_t lost = 0;  // lost: records the kernel could not write
};

// Parses one perf record (header included) of an event opened with
// sample_id_all and PERF_SAMPLE_TID | PERF_SAMPLE_TIME. false: not a kind we
// use, or malformed. Pure; unit-tested.
bool parse_sideband_record(std::span<const uint8_t> record, uint32_t cpu, SidebandRecord& out);

// The process a mmap2/comm/fork/exit record is about, read without parsing
// the rest (paths, names); 0 for records about no process (lost, throttle).
uint32_t sideband_record_pid(std::span<const uint8_t> record);

class Sideband {
 public:
  static Result<Sideband> open(const std::vector<int>& cpus, size_t data_pages_per_cpu);
  // The event fd of the i-th CPU of open()'s list (its ring takes other
  // events' records through PERF_EVENT_IOC_SET_OUTPUT).
  int fd(size_t i) const { return rings_[i].fd(); }
  // Appends every record available now on every CPU. keep_pid(pid): whether
  // a record about that process is wanted (others are consumed unparsed; a
  // record about no process is always kept). Returns the records read.
  template <class KeepPid>
  size_t read(std::vector<SidebandRecord>& out, KeepPid keep_pid) {
    size_t n = 0;
    for (size_t i = 0; i < rings_.size(); ++i) {
      const uint32_t cpu = static_cast<uint32_t>(cpus_[i]);
      rings_[i].read([&](std::span<const uint8_t> rec) {
        ++n;
        const uint32_t pid = sideband_record_pid(rec);
        if (pid != 0 && !keep_pid(pid)) return;
        SidebandRecord r;
        if (parse_sideband_record(rec, cpu, r)) out.push_back(std::move(r));
      });
    }
    return n;
  }
  size_t read(std::vector<SidebandRecord>& out) {
    return read(out, [](uint32_t) { return true; });
  }

 private:
  Sideband() = default;
  std::vector<PerfRing> rings_;
  std::vector<int> cpus_;
};

}  // namespace loadprof::collect
