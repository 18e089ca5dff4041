// Sideband: per-CPU dummy perf events and the parsing of their records.
#include "sideband.h"

#include <linux/perf_event.h>
#include <time.h>

#include <cstring>

namespace loadprof::collect {
namespace {

#ifndef PERF_RECORD_MISC_MMAP_BUILD_ID
#define PERF_RECORD_MISC_MMAP_BUILD_ID (1 << 14)
#endif

constexpr size_t kSampleIdBytes = 16;  // u32 pid, tid; u64 time

template <class T>
T load(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string bounded_string(const uint8_t* p, size_t max) {
  size_t n = strnlen(reinterpret_cast<const char*>(p), max);
  return std::string(reinterpret_cast<const char*>(p), n);
}

std::string hex(const uint8_t* data, size_t size) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kDigits[data[i] >> 4]);
    out.push_back(kDigits[data[i] & 15]);
  }
  return out;
}

}  // namespace

bool parse_sideband_record(std::span<const uint8_t> record, uint32_t cpu, SidebandRecord& out) {
  if (record.size() < sizeof(perf_event_header) + kSampleIdBytes) return false;
  perf_event_header header = load<perf_event_header>(record.data());
  if (header.size != record.size()) return false;
  const uint8_t* body = record.data() + sizeof header;
  const uint8_t* end = record.data() + record.size() - kSampleIdBytes;  // sample_id trailer
  size_t body_bytes = static_cast<size_t>(end - body);
  out = SidebandRecord{};
  out.cpu = cpu;
  out.time_ns = load<uint64_t>(end + 8);
  switch (header.type) {
    case PERF_RECORD_MMAP2: {
      // pid, tid, addr, len, pgoff, 24-byte union, prot, flags, filename
      constexpr size_t kFixed = 4 + 4 + 8 + 8 + 8 + 24 + 4 + 4;
      if (body_bytes < kFixed) return false;
      out.kind = SidebandRecord::Kind::mmap;
      out.pid = load<uint32_t>(body);
      out.tid = load<uint32_t>(body + 4);
      auto& m = out.mapping;
      m.pid = out.pid;
      m.time_ns = out.time_ns;
      m.start = load<uint64_t>(body + 8);
      m.end = m.start + load<uint64_t>(body + 16);
      m.pgoff = load<uint64_t>(body + 24);
      const uint8_t* id = body + 32;
      if (header.misc & PERF_RECORD_MISC_MMAP_BUILD_ID) {
        uint8_t size = id[0];
        if (size > 20) size = 20;
        if (size > 0) m.build_id = hex(id + 4, size);
      }
      uint32_t prot = load<uint32_t>(body + 56);
      m.executable = (prot & 4 /* PROT_EXEC */) != 0;
      m.path = bounded_string(body + kFixed, body_bytes - kFixed);
      return true;
    }
    case PERF_RECORD_COMM: {
      if (body_bytes < 8) return false;
      out.kind = SidebandRecord::Kind::comm;
      out.pid = load<uint32_t>(body);
      out.tid = load<uint32_t>(body + 4);
      out.comm = bounded_string(body + 8, body_bytes - 8);
      out.exec = (header.misc & PERF_RECORD_MISC_COMM_EXEC) != 0;
      return true;
    }
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT: {
      if (body_bytes < 24) return false;
      out.kind = header.type == PERF_RECORD_FORK ? SidebandRecord::Kind::fork : SidebandRecord::Kind::exit;
      out.pid = load<uint32_t>(body);
      out.ppid = load<uint32_t>(body + 4);
      out.tid = load<uint32_t>(body + 8);
      out.ptid = load<uint32_t>(body + 12);
      out.time_ns = load<uint64_t>(body + 16);
      return true;
    }
    case PERF_RECORD_THROTTLE:
    case PERF_RECORD_UNTHROTTLE: {
      // u64 time, u64 id, u64 stream_id
      if (body_bytes < 24) return false;
      out.kind = header.type == PERF_RECORD_THROTTLE ? SidebandRecord::Kind::throttle
                                                     : SidebandRecord::Kind::unthrottle;
      out.time_ns = load<uint64_t>(body);
      return true;
    }
    case PERF_RECORD_LOST: {
      if (body_bytes < 16) return false;
      out.kind = SidebandRecord::Kind::lost;
      out.lost = load<uint64_t>(body + 8);
      return true;
    }
    default:
      return false;
  }
}

uint32_t sideband_record_pid(std::span<const uint8_t> record) {
  if (record.size() < sizeof(perf_event_header) + 4) return 0;
  const perf_event_header header = load<perf_event_header>(record.data());
  switch (header.type) {
    case PERF_RECORD_MMAP2:
    case PERF_RECORD_COMM:
    case PERF_RECORD_FORK:
    case PERF_RECORD_EXIT:
      return load<uint32_t>(record.data() + sizeof header);
    default:
      return 0;
  }
}

Result<Sideband> Sideband::open(const std::vector<int>& cpus, size_t data_pages_per_cpu) {
  Sideband sb;
  for (int cpu : cpus) {
    perf_event_attr attr{};
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.sample_type = PERF_SAMPLE_TID | PERF_SAMPLE_TIME;
    attr.sample_id_all = 1;
    attr.mmap = 1;  // executable mappings only
    attr.mmap2 = 1;
    attr.comm = 1;
    attr.comm_exec = 1;
    attr.task = 1;
    // Not attr.build_id: the kernel (6.18 here) ORs PERF_RECORD_MISC_MMAP_BUILD_ID
    // into the shared mmap record and never clears it, so every other tool's
    // mmap2 event output after ours (perf record) gets the flag over a
    // dev/inode body, misreads it as a build-id of garbage size and aborts
    // ("assertion failed at util/build-id.c", "stack smashing detected").
    // Build-ids are read from the mapped files instead (cached per file).
    attr.build_id = 0;
    attr.use_clockid = 1;
    attr.clockid = CLOCK_MONOTONIC;
    // Read on a timer: ask for as few wake-ups as the kernel allows.
    attr.watermark = 1;
    attr.wakeup_watermark = static_cast<uint32_t>(data_pages_per_cpu * 4096 / 2);
    auto fd = open_perf_event(attr, -1, cpu);
    if (!fd.ok()) return fd.error().context("sideband");
    LOADPROF_TRY(ring, PerfRing::map(std::move(fd.value()), data_pages_per_cpu));
    sb.rings_.push_back(std::move(ring));
    sb.cpus_.push_back(cpu);
  }
  return sb;
}

}  // namespace loadprof::collect
