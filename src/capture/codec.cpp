// Record encodings inside chunk payloads. Low-volume records (metadata,
// processes, threads, mappings, frames, end) are length-prefixed so a later
// minor version can append fields that older readers skip; high-volume records
// (samples, stacks, off-CPU, accounting, requests) are delta-encoded varints,
// samples column by column so zstd sees long runs of similar bytes.
#include "capture/codec.h"

#include <algorithm>
#include <limits>
#include <map>

#include "capture/bytes.h"
#include "capture/format.h"

namespace loadprof::capture {
namespace {

constexpr uint64_t kNoTime = 0;

// Time range accumulator: 0/0 when nothing was added.
struct TimeRange {
  uint64_t min_ns = std::numeric_limits<uint64_t>::max();
  uint64_t max_ns = 0;
  void add(uint64_t t) {
    min_ns = std::min(min_ns, t);
    max_ns = std::max(max_ns, t);
  }
  void apply(EncodedChunk& c) const {
    if (min_ns > max_ns) {
      c.time_min_ns = c.time_max_ns = kNoTime;
    } else {
      c.time_min_ns = min_ns;
      c.time_max_ns = max_ns;
    }
  }
};

EncodedChunk start_chunk(ChunkType type, size_t count, ByteWriter& w) {
  EncodedChunk c;
  c.type = uint16_t(type);
  c.record_count = uint32_t(count);
  w.varint(kEncodingVersion);
  return c;
}

// Writes one length-prefixed record whose body `fill` produces.
template <class F>
void record(ByteWriter& w, F&& fill) {
  std::string body;
  ByteWriter bw(body);
  fill(bw);
  w.str(body);
}

uint64_t stack_code(StackId id) { return id == kNoStack ? 0 : uint64_t(id) + 1; }

int64_t diff(uint64_t a, uint64_t b) { return int64_t(a - b); }  // wrapping, exact round trip

// ---- decoding helpers --------------------------------------------------------

struct Decoder {
  ByteReader& r;
  std::string& why;
  bool bad = false;

  bool fail(std::string message) {
    if (!bad) why = std::move(message);
    bad = true;
    r.fail();
    return false;
  }
  bool check(bool condition, const char* message) { return condition || fail(message); }
  bool ok() {
    if (!bad && !r.ok()) fail("record extends past the end of the payload");
    return !bad;
  }
};

// Reads a value that must fit in uint32 after a signed delta from `base`.
uint32_t u32_from_delta(Decoder& d, uint64_t base, int64_t delta) {
  if (delta < -int64_t(UINT32_MAX) || delta > int64_t(UINT32_MAX)) {
    d.fail("32-bit field out of range");
    return 0;
  }
  int64_t v = int64_t(base) + delta;
  if (v < 0 || v > int64_t(UINT32_MAX)) {
    d.fail("32-bit field out of range");
    return 0;
  }
  return uint32_t(v);
}

bool decode_stack_ref(Decoder& d, uint64_t code, size_t stack_count, StackId& out) {
  if (code == 0) {
    out = kNoStack;
    return true;
  }
  if (code - 1 >= stack_count)
    return d.fail("reference to stack " + std::to_string(code - 1) + " before its definition");
  out = StackId(code - 1);
  return true;
}

uint16_t u16(Decoder& d, uint64_t v) {
  if (v > UINT16_MAX) d.fail("16-bit field out of range");
  return uint16_t(v);
}

}  // namespace

// ---- encoders ----------------------------------------------------------------

EncodedChunk encode_metadata(const Metadata& m) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::metadata, 1, w);
  record(w, [&](ByteWriter& b) {
    b.str(m.loadprof_version);
    b.str(m.hostname);
    b.str(m.kernel_release);
    b.str(m.command_line);
    b.varint(m.probes.size());
    for (const auto& p : m.probes) b.str(p);
    b.varint(m.frequency_hz);
    b.str(m.unwind);
    b.varint(m.cpu_count);
    b.varint(m.start_monotonic_ns);
    b.varint(m.start_realtime_ns);
    // Written only when set, so recorded captures keep their bytes; readers take
    // a record that ends before it as empty (record lengths allow appending).
    if (!m.source.empty()) b.str(m.source);
  });
  c.time_min_ns = c.time_max_ns = m.start_monotonic_ns;
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_clock_sync(const std::vector<ClockSync>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::clock_sync, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev_mono = 0, prev_real = 0;
  for (const auto& s : records) {
    w.svarint(diff(s.monotonic_ns, prev_mono));
    w.svarint(diff(s.realtime_ns, prev_real));
    prev_mono = s.monotonic_ns;
    prev_real = s.realtime_ns;
    range.add(s.monotonic_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_processes(const std::vector<Process>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::processes, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  for (const auto& p : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(p.pid);
      b.varint(p.ppid);
      b.str(p.command);
      b.varint(p.start_ns);
      uint64_t flags = (p.exit_ns ? 1 : 0) | (p.exit_code ? 2 : 0) | (p.exit_signal ? 4 : 0) |
                       (p.launched ? 8 : 0) | (p.root ? 16 : 0);
      b.varint(flags);
      if (p.exit_ns) b.varint(*p.exit_ns);
      if (p.exit_code) b.svarint(*p.exit_code);
      if (p.exit_signal) b.svarint(*p.exit_signal);
    });
    range.add(p.start_ns);
    if (p.exit_ns) range.add(*p.exit_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_threads(const std::vector<Thread>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::threads, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  for (const auto& t : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(t.pid);
      b.varint(t.tid);
      b.str(t.name);
      b.varint(t.start_ns);
      b.varint(t.exit_ns ? 1 : 0);
      if (t.exit_ns) b.varint(*t.exit_ns);
    });
    range.add(t.start_ns);
    if (t.exit_ns) range.add(*t.exit_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_mappings(const std::vector<Mapping>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::mappings, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  for (const auto& m : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(m.pid);
      b.varint(m.time_ns);
      b.varint(m.start);
      b.svarint(diff(m.end, m.start));
      b.varint(m.pgoff);
      b.str(m.path);
      b.str(m.build_id);
      b.varint(m.executable ? 1 : 0);
    });
    range.add(m.time_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_frames(FrameId first_id, const std::vector<Frame>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::frames, records.size(), w);
  w.varint(first_id);
  w.varint(records.size());
  for (const auto& f : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(f.address);
      b.str(f.function);
      b.str(f.module);
      b.varint(f.module_offset);
      b.str(f.file);
      b.varint(f.line);
      b.varint((f.inlined ? 1 : 0) | (f.kernel ? 2 : 0));
    });
  }
  c.payload = std::move(out);
  return c;
}

// One stack record: flags, depth, frame ids as deltas (stacks and stack symbols).
void put_stack(ByteWriter& w, const Stack& s) {
  w.varint(s.truncated ? 1 : 0);
  w.varint(s.frames.size());
  uint64_t prev = 0;
  for (FrameId f : s.frames) {
    w.svarint(diff(f, prev));
    prev = f;
  }
}

EncodedChunk encode_stacks(StackId first_id, const std::vector<Stack>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::stacks, records.size(), w);
  w.varint(first_id);
  w.varint(records.size());
  for (const auto& s : records) put_stack(w, s);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_stack_symbols(const std::vector<std::pair<StackId, Stack>>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::stack_symbols, records.size(), w);
  w.varint(records.size());
  for (const auto& [id, s] : records) {
    w.varint(id);
    put_stack(w, s);
  }
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_cpu_samples(const std::vector<CpuSample>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::cpu_samples, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& s : records) {  // column: time deltas
    w.svarint(diff(s.time_ns, prev));
    prev = s.time_ns;
    range.add(s.time_ns);
  }
  prev = 0;
  for (const auto& s : records) {  // column: pid deltas
    w.svarint(diff(s.pid, prev));
    prev = s.pid;
  }
  for (const auto& s : records) w.svarint(int64_t(s.tid) - int64_t(s.pid));  // column: tid - pid
  for (const auto& s : records) w.varint(s.cpu);                             // column: cpu
  for (const auto& s : records) w.varint(stack_code(s.stack));               // column: stack + 1
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

void encode_histogram(ByteWriter& w, const LatencyLog2& h) {
  uint64_t used = 0;
  for (uint64_t c : h) used += c != 0;
  w.varint(used);
  for (size_t b = 0; b < h.size(); ++b) {
    if (h[b] == 0) continue;
    w.varint(b);
    w.varint(h[b]);
  }
}

EncodedChunk encode_allocations(const std::vector<AllocEvent>& events, const AllocInfo* info) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::allocations, events.size() + (info ? 1 : 0), w);
  TimeRange range;
  w.varint(events.size());
  uint64_t prev = 0;
  for (const auto& e : events) {
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(e.time_ns, prev));
      b.varint(e.pid);
      b.svarint(int64_t(e.tid) - int64_t(e.pid));
      b.varint(e.address);
      b.varint(e.size);
      b.varint(uint8_t(e.fn));
      b.varint((e.is_free ? 1u : 0u) | (e.tracked ? 2u : 0u));
      b.varint(stack_code(e.stack));
    });
    prev = e.time_ns;
    range.add(e.time_ns);
  }
  w.varint(info ? 1 : 0);
  if (info) {
    record(w, [&](ByteWriter& b) {
      b.str(info->method);
      b.str(info->allocator);
      b.str(info->allocator_path);
      b.varint(info->sample_period_bytes);
      b.varint(info->allocations);
      b.varint(info->allocated_bytes);
      b.varint(info->sampled);
      b.varint(info->frees);
      b.varint(info->frees_unknown);
    });
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

// Length-prefixed records: a later version can add figures older readers skip.
EncodedChunk encode_mmaps(const std::vector<MmapRecord>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::mmap_events, records.size(), w);
  TimeRange range;
  w.varint(records.size());
  uint64_t prev = 0;
  for (const auto& m : records) {
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(m.start_ns, prev));
      b.svarint(diff(m.end_ns, m.start_ns));
      b.varint(m.pid);
      b.svarint(int64_t(m.tid) - int64_t(m.pid));
      b.varint(uint8_t(m.op));
      b.varint(m.calls);
      b.varint(m.bytes);
      b.varint(stack_code(m.stack));
    });
    prev = m.start_ns;
    range.add(m.start_ns);
    range.add(m.end_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_io_events(const std::vector<IoSyscallRecord>& syscalls,
                              const std::vector<IoDeviceRecord>& devices) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::io_events, syscalls.size() + devices.size(), w);
  TimeRange range;
  w.varint(syscalls.size());
  uint64_t prev = 0;
  for (const auto& s : syscalls) {
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(s.start_ns, prev));
      b.svarint(diff(s.end_ns, s.start_ns));
      b.varint(s.pid);
      b.svarint(int64_t(s.tid) - int64_t(s.pid));
      b.varint(uint8_t(s.syscall));
      b.varint(uint8_t(s.fd_kind));
      b.varint(stack_code(s.stack));
      b.varint(s.count);
      b.varint(s.bytes);
      b.varint(s.errors);
      b.varint(s.total_ns);
      b.varint(s.max_ns);
      encode_histogram(b, s.latency_log2);
    });
    prev = s.start_ns;
    range.add(s.start_ns);
    range.add(s.end_ns);
  }
  w.varint(devices.size());
  prev = 0;
  for (const auto& d : devices) {
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(d.start_ns, prev));
      b.svarint(diff(d.end_ns, d.start_ns));
      b.varint(d.dev);
      b.str(d.device);
      b.varint(uint8_t(d.op));
      b.varint(d.count);
      b.varint(d.bytes);
      b.varint(d.errors);
      b.varint(d.total_ns);
      b.varint(d.max_ns);
      encode_histogram(b, d.latency_log2);
    });
    prev = d.start_ns;
    range.add(d.start_ns);
    range.add(d.end_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_offcpu(const std::vector<OffCpuInterval>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::offcpu, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& o : records) {
    w.svarint(diff(o.start_ns, prev));
    w.svarint(diff(o.end_ns, o.start_ns));
    w.varint(o.pid);
    w.svarint(int64_t(o.tid) - int64_t(o.pid));
    w.varint(stack_code(o.stack));
    w.varint(stack_code(o.waker_stack));
    w.varint(uint8_t(o.reason));
    w.varint(o.count);
    prev = o.start_ns;
    range.add(o.start_ns);
    range.add(o.end_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_cpu_accounting(const std::vector<CpuAccounting>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::cpu_accounting, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& a : records) {
    w.svarint(diff(a.second_ns, prev));
    w.varint(a.cpu);
    w.varint(a.target);
    w.varint(a.self);
    w.varint(a.other);
    w.varint(a.idle);
    prev = a.second_ns;
    range.add(a.second_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_cpu_accounting_extra(const std::vector<CpuAccounting>& records) {
  size_t n = 0;
  for (const auto& a : records) n += (a.steal_ns || a.throttles || a.throttled_ns) ? 1 : 0;
  if (n == 0) return EncodedChunk{};
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::cpu_accounting_extra, n, w);
  w.varint(n);
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& a : records) {
    if (!a.steal_ns && !a.throttles && !a.throttled_ns) continue;
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(a.second_ns, prev));
      b.varint(a.cpu);
      b.varint(a.steal_ns);
      b.varint(a.throttles);
      b.varint(a.throttled_ns);
    });
    prev = a.second_ns;
    range.add(a.second_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_requests(const std::vector<RequestRecord>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::requests, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& q : records) {
    w.svarint(diff(q.intended_start_ns, prev));
    w.svarint(diff(q.actual_start_ns, q.intended_start_ns));
    w.varint(q.connect_ns);
    w.svarint(diff(q.first_byte_ns, q.actual_start_ns));
    w.svarint(diff(q.end_ns, q.actual_start_ns));
    w.varint(q.status);
    w.varint(q.error_class);
    w.varint(q.bytes);
    w.varint(q.connection_id);
    w.varint(q.local_port);
    w.varint(q.stage);
    w.varint(q.step);
    prev = q.intended_start_ns;
    range.add(q.intended_start_ns);
    range.add(std::max(q.actual_start_ns, q.end_ns));
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

// Length-prefixed records, as the sockets'.
EncodedChunk encode_offcpu_wakers(const std::vector<OffCpuWaker>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::offcpu_wakers, records.size(), w);
  w.varint(records.size());
  for (const auto& r : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(r.pid);
      b.varint(r.tid);
      b.varint(static_cast<uint8_t>(r.reason));
      b.varint(r.waker_pid);
      b.varint(r.waker_tid);
      b.str(r.waker_comm);
      b.varint(r.wakeups);
      b.varint(r.blocked_ns);
    });
  }
  c.payload = std::move(out);
  return c;
}

// Length-prefixed records: a later version can add figures older readers skip.
EncodedChunk encode_sockets(const std::vector<SocketRecord>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::sockets, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  for (const auto& r : records) {
    record(w, [&](ByteWriter& b) {
      b.varint(r.start_ns);
      b.varint(r.end_ns - std::min(r.end_ns, r.start_ns));
      b.varint(r.pid);
      b.varint(r.family);
      b.varint(static_cast<uint8_t>(r.protocol));
      b.varint(static_cast<uint8_t>(r.role));
      for (uint8_t byte : r.remote_addr) b.varint(byte);
      b.varint(r.remote_port);
      b.varint(r.local_port);
      b.varint(r.round_trips);
      b.varint(r.wait_ns);
      b.varint(r.bytes_sent);
      b.varint(r.bytes_received);
      b.varint(r.sends);
      b.varint(r.receives);
      // Appended (older readers stop before it): exchanges served, delta-timed.
      b.varint(r.served.size());
      uint64_t prev_ns = r.start_ns;
      for (const auto& e : r.served) {
        b.svarint(static_cast<int64_t>(e.start_ns - prev_ns));
        b.varint(e.end_ns - std::min(e.end_ns, e.start_ns));
        b.varint(e.tid);
        b.varint(e.peers.size());
        for (const auto& p : e.peers) {
          b.varint(p.family);
          for (uint8_t byte : p.remote_addr) b.varint(byte);
          b.varint(p.remote_port);
          b.varint(p.round_trips);
          b.varint(p.wait_ns);
        }
        prev_ns = e.start_ns;
      }
    });
    range.add(r.start_ns);
    range.add(std::max(r.start_ns, r.end_ns));
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

// Length-prefixed records: a later version can add figures older readers skip.
EncodedChunk encode_resources(const std::vector<ResourceSample>& records) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::resources, records.size(), w);
  w.varint(records.size());
  TimeRange range;
  uint64_t prev = 0;
  for (const auto& r : records) {
    record(w, [&](ByteWriter& b) {
      b.svarint(diff(r.time_ns, prev));
      b.varint(r.pid);
      b.varint(r.interval_ns);
      b.varint(r.cpu_ns);
      b.varint(r.rss_bytes);
      b.varint(r.available_bytes);
      b.varint(r.read_bytes);
      b.varint(r.write_bytes);
      b.varint(r.net_rx_bytes);
      b.varint(r.net_tx_bytes);
      b.varint(r.ctxsw_known ? 1 : 0);  // flags
      b.varint(r.voluntary_ctxsw);
      b.varint(r.involuntary_ctxsw);
      b.varint(r.threads);
      b.varint(r.fds);
      b.varint(r.minor_faults);  // appended: older readers stop before them
      b.varint(r.major_faults);
    });
    prev = r.time_ns;
    range.add(r.time_ns - std::min(r.time_ns, r.interval_ns));
    range.add(r.time_ns);
  }
  range.apply(c);
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_drops(const DropCounters& drops) {
  std::string out;
  ByteWriter w(out);
  size_t counters = 0;
  for (const auto& [probe, reasons] : drops) counters += reasons.size();
  EncodedChunk c = start_chunk(ChunkType::drops, counters, w);
  w.varint(drops.size());
  for (const auto& [probe, reasons] : drops) {
    w.str(probe);
    w.varint(reasons.size());
    for (const auto& [reason, count] : reasons) {
      w.str(reason);
      w.varint(count);
    }
  }
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_unwind(const std::vector<UnwindModule>& modules) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::unwind, modules.size(), w);
  for (const auto& m : modules) {
    w.str(m.module);
    w.str(m.method);
    w.varint(m.stacks);
    w.varint(m.truncated);
    w.varint(m.truncated_by_reason.size());
    for (const auto& [reason, count] : m.truncated_by_reason) {
      w.str(reason);
      w.varint(count);
    }
  }
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_end(const EndInfo& e) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::end, 1, w);
  record(w, [&](ByteWriter& b) {
    b.varint(e.end_ns);
    b.varint((e.interrupted ? 1 : 0) | (e.target_exited_ns ? 2 : 0));
    if (e.target_exited_ns) b.varint(*e.target_exited_ns);
    b.str(e.reason);
  });
  c.time_min_ns = c.time_max_ns = e.end_ns;
  c.payload = std::move(out);
  return c;
}

EncodedChunk encode_load_run(const LoadRun& l) {
  std::string out;
  ByteWriter w(out);
  EncodedChunk c = start_chunk(ChunkType::load_run, 1, w);
  record(w, [&](ByteWriter& b) {
    b.str(l.summary_json);
    b.str(l.table);
    b.varint(l.measured_start_ns);
    b.varint(l.measured_end_ns);
    b.varint(l.log_records);
    b.varint(l.log_dropped);
    b.varint(l.stages.size());
    for (const auto& s : l.stages) {
      b.varint(s.start_ns);
      b.varint(s.end_ns);
    }
  });
  c.time_min_ns = l.measured_start_ns;
  c.time_max_ns = std::max(l.measured_start_ns, l.measured_end_ns);
  c.payload = std::move(out);
  return c;
}

// ---- decoders ----------------------------------------------------------------

namespace {

// A length-prefixed record: a reader over its body (extra trailing bytes,
// written by a newer minor version, are ignored).
ByteReader record_body(ByteReader& r) {
  uint64_t n = r.varint();
  if (!r.ok() || n > r.remaining()) {
    r.fail();
    return ByteReader(std::string_view());
  }
  return ByteReader(r.bytes(n));
}

bool check_count(Decoder& d, uint64_t n, uint32_t record_count) {
  if (!d.ok()) return false;
  if (n != record_count) {
    return d.fail("record count " + std::to_string(n) + " does not match the chunk header's " +
                  std::to_string(record_count));
  }
  return true;
}

bool decode_metadata(Decoder& d, Capture& cap, uint32_t record_count) {
  if (!check_count(d, 1, record_count)) return false;
  ByteReader b = record_body(d.r);
  Metadata m;
  m.loadprof_version = b.str();
  m.hostname = b.str();
  m.kernel_release = b.str();
  m.command_line = b.str();
  uint64_t probes = b.count();
  for (uint64_t i = 0; i < probes && b.ok(); ++i) m.probes.push_back(b.str());
  m.frequency_hz = b.varint32();
  m.unwind = b.str();
  m.cpu_count = b.varint32();
  m.start_monotonic_ns = b.varint();
  m.start_realtime_ns = b.varint();
  if (b.ok() && !b.at_end()) m.source = b.str();
  if (!b.ok()) return d.fail("malformed metadata record");
  if (!d.ok()) return false;
  cap.metadata = std::move(m);
  return true;
}

bool decode_clock_sync(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  std::vector<ClockSync> out(n);
  uint64_t mono = 0, real = 0;
  for (auto& s : out) {
    mono += uint64_t(d.r.svarint());
    real += uint64_t(d.r.svarint());
    s.monotonic_ns = mono;
    s.realtime_ns = real;
  }
  if (!d.ok()) return false;
  cap.clock_sync.insert(cap.clock_sync.end(), out.begin(), out.end());
  return true;
}

bool decode_processes(Decoder& d, Capture& cap, DecodeIndex& index, uint32_t record_count) {
  uint64_t n = d.r.count(1);
  if (!check_count(d, n, record_count)) return false;
  std::vector<Process> out(n);
  for (auto& p : out) {
    ByteReader b = record_body(d.r);
    p.pid = b.varint32();
    p.ppid = b.varint32();
    p.command = b.str();
    p.start_ns = b.varint();
    uint64_t flags = b.varint();
    if (flags & 1) p.exit_ns = b.varint();
    if (flags & 2) p.exit_code = int(b.svarint());
    if (flags & 4) p.exit_signal = int(b.svarint());
    p.launched = flags & 8;
    p.root = flags & 16;
    if (!b.ok()) return d.fail("malformed process record");
  }
  if (!d.ok()) return false;
  for (auto& p : out) {  // the last record for a pid wins, at the first one's position
    auto [it, inserted] = index.process_by_pid.try_emplace(p.pid, cap.processes.size());
    if (inserted) {
      cap.processes.push_back(std::move(p));
    } else {
      cap.processes[it->second] = std::move(p);
    }
  }
  return true;
}

bool decode_threads(Decoder& d, Capture& cap, DecodeIndex& index, uint32_t record_count) {
  uint64_t n = d.r.count(1);
  if (!check_count(d, n, record_count)) return false;
  std::vector<Thread> out(n);
  for (auto& t : out) {
    ByteReader b = record_body(d.r);
    t.pid = b.varint32();
    t.tid = b.varint32();
    t.name = b.str();
    t.start_ns = b.varint();
    uint64_t flags = b.varint();
    if (flags & 1) t.exit_ns = b.varint();
    if (!b.ok()) return d.fail("malformed thread record");
  }
  if (!d.ok()) return false;
  for (auto& t : out) {  // the last record for a (pid, tid) wins
    uint64_t key = uint64_t(t.pid) << 32 | t.tid;
    auto [it, inserted] = index.thread_by_id.try_emplace(key, cap.threads.size());
    if (inserted) {
      cap.threads.push_back(std::move(t));
    } else {
      cap.threads[it->second] = std::move(t);
    }
  }
  return true;
}

bool decode_mappings(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(1);
  if (!check_count(d, n, record_count)) return false;
  std::vector<Mapping> out(n);
  for (auto& m : out) {
    ByteReader b = record_body(d.r);
    m.pid = b.varint32();
    m.time_ns = b.varint();
    m.start = b.varint();
    m.end = m.start + uint64_t(b.svarint());
    m.pgoff = b.varint();
    m.path = b.str();
    m.build_id = b.str();
    m.executable = b.varint() & 1;
    if (!b.ok()) return d.fail("malformed mapping record");
  }
  if (!d.ok()) return false;
  std::move(out.begin(), out.end(), std::back_inserter(cap.mappings));
  return true;
}

bool decode_frames(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t first = d.r.varint();
  uint64_t n = d.r.count(1);
  if (!check_count(d, n, record_count)) return false;
  if (first != cap.frames.size()) {
    return d.fail("frames chunk starts at id " + std::to_string(first) + ", expected " +
                  std::to_string(cap.frames.size()));
  }
  if (first + n > UINT32_MAX) return d.fail("frame ids exceed 32 bits");
  std::vector<Frame> out(n);
  for (auto& f : out) {
    ByteReader b = record_body(d.r);
    f.address = b.varint();
    f.function = b.str();
    f.module = b.str();
    f.module_offset = b.varint();
    f.file = b.str();
    f.line = b.varint32();
    uint64_t flags = b.varint();
    f.inlined = flags & 1;
    f.kernel = flags & 2;
    if (!b.ok()) return d.fail("malformed frame record");
  }
  if (!d.ok()) return false;
  std::move(out.begin(), out.end(), std::back_inserter(cap.frames));
  return true;
}

// One stack record (see put_stack); every frame must be defined already.
bool get_stack(Decoder& d, uint64_t frame_count, Stack& s) {
  s.truncated = d.r.varint() & 1;
  uint64_t depth = d.r.count(1);
  s.frames.resize(depth);
  uint64_t prev = 0;
  for (auto& f : s.frames) {
    uint64_t id = prev + uint64_t(d.r.svarint());
    if (!d.r.ok()) break;
    if (id >= frame_count)
      return d.fail("reference to frame " + std::to_string(id) + " before its definition");
    f = FrameId(id);
    prev = id;
  }
  return d.ok();
}

bool decode_stacks(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t first = d.r.varint();
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  if (first != cap.stacks.size()) {
    return d.fail("stacks chunk starts at id " + std::to_string(first) + ", expected " +
                  std::to_string(cap.stacks.size()));
  }
  if (first + n >= kNoStack) return d.fail("stack ids exceed 32 bits");
  std::vector<Stack> out(n);
  const uint64_t frame_count = cap.frames.size();
  for (auto& s : out)
    if (!get_stack(d, frame_count, s)) return false;
  if (!d.ok()) return false;
  std::move(out.begin(), out.end(), std::back_inserter(cap.stacks));
  return true;
}

// All or nothing: the new frame lists are checked whole before any replaces its stack's.
bool decode_stack_symbols(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(3);
  if (!check_count(d, n, record_count)) return false;
  std::vector<std::pair<StackId, Stack>> out(n);
  const uint64_t frame_count = cap.frames.size();
  for (auto& [id, s] : out) {
    uint64_t stack = d.r.varint();
    if (!d.r.ok()) break;
    if (stack >= cap.stacks.size()) {
      return d.fail("symbols for stack " + std::to_string(stack) + " before its definition");
    }
    id = StackId(stack);
    if (!get_stack(d, frame_count, s)) return false;
  }
  if (!d.ok()) return false;
  for (auto& [id, s] : out) cap.stacks[id] = std::move(s);
  return true;
}

bool decode_cpu_samples(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(5);
  if (!check_count(d, n, record_count)) return false;
  std::vector<CpuSample> out(n);
  uint64_t prev = 0;
  for (auto& s : out) prev = s.time_ns = prev + uint64_t(d.r.svarint());
  prev = 0;
  for (auto& s : out) prev = s.pid = u32_from_delta(d, prev, d.r.svarint());
  for (auto& s : out) s.tid = u32_from_delta(d, s.pid, d.r.svarint());
  for (auto& s : out) s.cpu = d.r.varint32();
  for (auto& s : out) {
    if (!decode_stack_ref(d, d.r.varint(), cap.stacks.size(), s.stack)) return false;
  }
  if (!d.ok()) return false;
  cap.cpu_samples.insert(cap.cpu_samples.end(), out.begin(), out.end());
  return true;
}

bool decode_offcpu(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(8);
  if (!check_count(d, n, record_count)) return false;
  std::vector<OffCpuInterval> out(n);
  uint64_t prev = 0;
  for (auto& o : out) {
    o.start_ns = prev + uint64_t(d.r.svarint());
    o.end_ns = o.start_ns + uint64_t(d.r.svarint());
    o.pid = d.r.varint32();
    o.tid = u32_from_delta(d, o.pid, d.r.svarint());
    if (!decode_stack_ref(d, d.r.varint(), cap.stacks.size(), o.stack)) return false;
    if (!decode_stack_ref(d, d.r.varint(), cap.stacks.size(), o.waker_stack)) return false;
    uint64_t reason = d.r.varint();
    // Reasons added by a later version read as "other".
    o.reason = reason <= uint64_t(OffCpuReason::other) ? OffCpuReason(reason) : OffCpuReason::other;
    o.count = d.r.varint32();
    prev = o.start_ns;
  }
  if (!d.ok()) return false;
  cap.offcpu.insert(cap.offcpu.end(), out.begin(), out.end());
  return true;
}

bool decode_histogram(ByteReader& b, LatencyLog2& h) {
  uint64_t used = b.count(2);
  for (uint64_t i = 0; i < used && b.ok(); ++i) {
    uint64_t bucket = b.varint();
    uint64_t count = b.varint();
    if (bucket >= h.size()) return false;  // a later version's finer histogram: not ours to guess
    h[bucket] += count;
  }
  return b.ok();
}

bool decode_io_events(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(1);
  if (!d.ok()) return false;
  std::vector<IoSyscallRecord> syscalls(n);
  uint64_t prev = 0;
  for (auto& s : syscalls) {
    ByteReader b = record_body(d.r);
    s.start_ns = prev + uint64_t(b.svarint());
    s.end_ns = s.start_ns + uint64_t(b.svarint());
    s.pid = b.varint32();
    const int64_t tid_delta = b.svarint();
    uint64_t syscall = b.varint();
    uint64_t kind = b.varint();
    uint64_t stack = b.varint();
    s.count = b.varint();
    s.bytes = b.varint();
    s.errors = b.varint();
    s.total_ns = b.varint();
    s.max_ns = b.varint();
    if (!decode_histogram(b, s.latency_log2) || !b.ok()) return d.fail("malformed io syscall record");
    s.tid = u32_from_delta(d, s.pid, tid_delta);
    // Values added by a later version read as other.
    s.syscall = syscall < uint64_t(IoSyscall::other) ? IoSyscall(syscall) : IoSyscall::other;
    s.fd_kind = kind <= uint64_t(FdKind::poll) ? FdKind(kind) : FdKind::other;
    if (!decode_stack_ref(d, stack, cap.stacks.size(), s.stack)) return false;
    prev = s.start_ns;
  }
  uint64_t m = d.r.count(1);
  if (!d.ok()) return false;
  if (!check_count(d, n + m, record_count)) return false;
  std::vector<IoDeviceRecord> devices(m);
  prev = 0;
  for (auto& v : devices) {
    ByteReader b = record_body(d.r);
    v.start_ns = prev + uint64_t(b.svarint());
    v.end_ns = v.start_ns + uint64_t(b.svarint());
    v.dev = b.varint32();
    v.device = b.str();
    uint64_t op = b.varint();
    v.op = op <= uint64_t(BlockOp::other) ? BlockOp(op) : BlockOp::other;
    v.count = b.varint();
    v.bytes = b.varint();
    v.errors = b.varint();
    v.total_ns = b.varint();
    v.max_ns = b.varint();
    if (!decode_histogram(b, v.latency_log2) || !b.ok()) return d.fail("malformed io device record");
    prev = v.start_ns;
  }
  if (!d.ok()) return false;
  cap.io_syscalls.insert(cap.io_syscalls.end(), syscalls.begin(), syscalls.end());
  cap.io_devices.insert(cap.io_devices.end(), devices.begin(), devices.end());
  return true;
}

bool decode_mmaps(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  std::vector<MmapRecord> out(n);
  uint64_t prev = 0;
  for (auto& m : out) {
    ByteReader b = record_body(d.r);
    m.start_ns = prev + uint64_t(b.svarint());
    m.end_ns = m.start_ns + uint64_t(b.svarint());
    m.pid = b.varint32();
    const int64_t tid_delta = b.svarint();
    const uint64_t op = b.varint();
    m.calls = b.varint();
    m.bytes = b.varint();
    const uint64_t stack = b.varint();
    if (!b.ok()) return d.fail("malformed mmap record");
    m.tid = u32_from_delta(d, m.pid, tid_delta);
    m.op = op < uint64_t(MmapOp::other) ? MmapOp(op) : MmapOp::other;  // a later version's: other
    if (!decode_stack_ref(d, stack, cap.stacks.size(), m.stack)) return false;
    prev = m.start_ns;
  }
  if (!d.ok()) return false;
  cap.mmaps.insert(cap.mmaps.end(), out.begin(), out.end());
  return true;
}

bool decode_allocations(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(1);
  if (!d.ok()) return false;
  std::vector<AllocEvent> events(n);
  uint64_t prev = 0;
  for (auto& e : events) {
    ByteReader b = record_body(d.r);
    e.time_ns = prev + uint64_t(b.svarint());
    e.pid = b.varint32();
    const int64_t tid_delta = b.svarint();
    e.address = b.varint();
    e.size = b.varint();
    const uint64_t fn = b.varint();
    const uint64_t flags = b.varint();
    const uint64_t stack = b.varint();
    if (!b.ok()) return d.fail("malformed allocation record");
    e.tid = u32_from_delta(d, e.pid, tid_delta);
    e.fn = fn < uint64_t(AllocFn::other) ? AllocFn(fn) : AllocFn::other;  // a later version's: other
    e.is_free = (flags & 1) != 0;
    e.tracked = (flags & 2) != 0;
    if (!decode_stack_ref(d, stack, cap.stacks.size(), e.stack)) return false;
    prev = e.time_ns;
  }
  uint64_t m = d.r.count(1);
  if (!d.ok()) return false;
  if (!check_count(d, n + m, record_count)) return false;
  if (m > 1) return d.fail("more than one alloc info record");
  if (m == 1) {
    ByteReader b = record_body(d.r);
    AllocInfo info;
    info.method = b.str();
    info.allocator = b.str();
    info.allocator_path = b.str();
    info.sample_period_bytes = b.varint();
    info.allocations = b.varint();
    info.allocated_bytes = b.varint();
    info.sampled = b.varint();
    info.frees = b.varint();
    info.frees_unknown = b.varint();
    if (!b.ok()) return d.fail("malformed alloc info record");
    cap.alloc_info = std::move(info);
  }
  if (!d.ok()) return false;
  cap.allocs.insert(cap.allocs.end(), events.begin(), events.end());
  return true;
}

bool decode_cpu_accounting(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(6);
  if (!check_count(d, n, record_count)) return false;
  std::vector<CpuAccounting> out(n);
  uint64_t prev = 0;
  for (auto& a : out) {
    prev = a.second_ns = prev + uint64_t(d.r.svarint());
    a.cpu = d.r.varint32();
    a.target = d.r.varint();
    a.self = d.r.varint();
    a.other = d.r.varint();
    a.idle = d.r.varint();
  }
  if (!d.ok()) return false;
  cap.cpu_accounting.insert(cap.cpu_accounting.end(), out.begin(), out.end());
  return true;
}

// Joins each row to the accounting row of the same (second, cpu) among the
// last rows read (the writer puts this chunk right after its accounting
// chunk); a row without one (cut away by a time window) is dropped.
bool decode_cpu_accounting_extra(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  struct Extra {
    uint64_t second_ns, steal_ns, throttles, throttled_ns;
    uint32_t cpu;
  };
  std::vector<Extra> rows(n);
  uint64_t prev = 0;
  for (auto& e : rows) {
    ByteReader b = record_body(d.r);
    prev = e.second_ns = prev + uint64_t(b.svarint());
    e.cpu = b.varint32();
    e.steal_ns = b.varint();
    e.throttles = b.varint();
    e.throttled_ns = b.varint();
    if (!b.ok()) return d.fail("malformed cpu accounting extra record");
  }
  if (!d.ok()) return false;
  // Bounded look-back: work stays proportional to this chunk, whatever came before.
  const size_t look_back = std::min(cap.cpu_accounting.size(), size_t(4 * n + 1024));
  std::map<std::pair<uint64_t, uint32_t>, size_t> at;
  for (size_t i = cap.cpu_accounting.size() - look_back; i < cap.cpu_accounting.size(); ++i) {
    const auto& a = cap.cpu_accounting[i];
    at[{a.second_ns, a.cpu}] = i;
  }
  for (const auto& e : rows) {
    auto it = at.find({e.second_ns, e.cpu});
    if (it == at.end()) continue;
    auto& a = cap.cpu_accounting[it->second];
    a.steal_ns = e.steal_ns;
    a.throttles = e.throttles;
    a.throttled_ns = e.throttled_ns;
  }
  return true;
}

bool decode_requests(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(12);
  if (!check_count(d, n, record_count)) return false;
  std::vector<RequestRecord> out(n);
  uint64_t prev = 0;
  for (auto& q : out) {
    prev = q.intended_start_ns = prev + uint64_t(d.r.svarint());
    q.actual_start_ns = q.intended_start_ns + uint64_t(d.r.svarint());
    q.connect_ns = d.r.varint();
    q.first_byte_ns = q.actual_start_ns + uint64_t(d.r.svarint());
    q.end_ns = q.actual_start_ns + uint64_t(d.r.svarint());
    q.status = u16(d, d.r.varint());
    uint64_t error_class = d.r.varint();
    if (error_class > UINT8_MAX) d.fail("error class out of range");
    q.error_class = uint8_t(error_class);
    q.bytes = d.r.varint32();
    q.connection_id = d.r.varint32();
    q.local_port = u16(d, d.r.varint());
    q.stage = u16(d, d.r.varint());
    q.step = u16(d, d.r.varint());
  }
  if (!d.ok()) return false;
  cap.requests.insert(cap.requests.end(), out.begin(), out.end());
  return true;
}

bool decode_offcpu_wakers(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  std::vector<OffCpuWaker> out(n);
  for (auto& r : out) {
    ByteReader b = record_body(d.r);
    r.pid = b.varint32();
    r.tid = b.varint32();
    const uint64_t reason = b.varint();
    r.reason =
        reason <= static_cast<uint8_t>(OffCpuReason::other) ? OffCpuReason(reason) : OffCpuReason::other;
    r.waker_pid = b.varint32();
    r.waker_tid = b.varint32();
    r.waker_comm = b.str();
    r.wakeups = b.varint();
    r.blocked_ns = b.varint();
    if (!b.ok()) return d.fail("malformed off-cpu wakers record");
  }
  if (!d.ok()) return false;
  cap.offcpu_wakers.insert(cap.offcpu_wakers.end(), out.begin(), out.end());
  return true;
}

bool decode_sockets(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  std::vector<SocketRecord> out(n);
  for (auto& r : out) {
    ByteReader b = record_body(d.r);
    r.start_ns = b.varint();
    r.end_ns = r.start_ns + b.varint();
    r.pid = b.varint32();
    r.family = static_cast<uint16_t>(std::min<uint64_t>(b.varint(), 0xFFFF));
    const uint64_t protocol = b.varint();
    r.protocol = protocol <= static_cast<uint8_t>(SocketProtocol::other) ? SocketProtocol(protocol)
                                                                         : SocketProtocol::other;
    r.role = b.varint() == static_cast<uint8_t>(SocketRole::server) ? SocketRole::server : SocketRole::client;
    for (auto& byte : r.remote_addr) byte = static_cast<uint8_t>(b.varint());
    r.remote_port = static_cast<uint16_t>(b.varint());
    r.local_port = static_cast<uint16_t>(b.varint());
    r.round_trips = b.varint();
    r.wait_ns = b.varint();
    r.bytes_sent = b.varint();
    r.bytes_received = b.varint();
    r.sends = b.varint();
    r.receives = b.varint();
    if (b.ok() && !b.at_end()) {
      const uint64_t served = b.count(4);
      uint64_t prev_ns = r.start_ns;
      for (uint64_t i = 0; i < served && b.ok(); ++i) {
        ServedExchange e;
        e.start_ns = prev_ns + static_cast<uint64_t>(b.svarint());
        e.end_ns = e.start_ns + b.varint();
        e.tid = b.varint32();
        const uint64_t peers = b.count(20);
        for (uint64_t j = 0; j < peers && b.ok(); ++j) {
          NestedRoundTrips p;
          p.family = static_cast<uint16_t>(std::min<uint64_t>(b.varint(), 0xFFFF));
          for (auto& byte : p.remote_addr) byte = static_cast<uint8_t>(b.varint());
          p.remote_port = static_cast<uint16_t>(b.varint());
          p.round_trips = b.varint();
          p.wait_ns = b.varint();
          e.peers.push_back(p);
        }
        prev_ns = e.start_ns;
        r.served.push_back(std::move(e));
      }
    }
    if (!b.ok()) return d.fail("malformed sockets record");
  }
  if (!d.ok()) return false;
  cap.sockets.insert(cap.sockets.end(), out.begin(), out.end());
  return true;
}

bool decode_resources(Decoder& d, Capture& cap, uint32_t record_count) {
  uint64_t n = d.r.count(2);
  if (!check_count(d, n, record_count)) return false;
  std::vector<ResourceSample> out(n);
  uint64_t prev = 0;
  for (auto& r : out) {
    ByteReader b = record_body(d.r);
    prev = r.time_ns = prev + uint64_t(b.svarint());
    r.pid = b.varint32();
    r.interval_ns = b.varint();
    r.cpu_ns = b.varint();
    r.rss_bytes = b.varint();
    r.available_bytes = b.varint();
    r.read_bytes = b.varint();
    r.write_bytes = b.varint();
    r.net_rx_bytes = b.varint();
    r.net_tx_bytes = b.varint();
    r.ctxsw_known = (b.varint() & 1) != 0;
    r.voluntary_ctxsw = b.varint();
    r.involuntary_ctxsw = b.varint();
    r.threads = b.varint32();
    r.fds = b.varint32();
    if (b.ok() && !b.at_end()) {  // absent in captures that predate them
      r.minor_faults = b.varint();
      r.major_faults = b.varint();
    }
    if (!b.ok()) return d.fail("malformed resources record");
  }
  if (!d.ok()) return false;
  cap.resources.insert(cap.resources.end(), out.begin(), out.end());
  return true;
}

bool decode_unwind(Decoder& d, Capture& cap, uint32_t record_count) {
  std::vector<UnwindModule> modules;
  for (uint32_t i = 0; i < record_count && d.r.ok(); ++i) {
    UnwindModule m;
    m.module = d.r.str();
    m.method = d.r.str();
    m.stacks = d.r.varint();
    m.truncated = d.r.varint();
    const uint64_t reasons = d.r.count(2);
    for (uint64_t k = 0; k < reasons && d.r.ok(); ++k) {
      std::string reason = d.r.str();
      m.truncated_by_reason[reason] = d.r.varint();
    }
    modules.push_back(std::move(m));
  }
  if (!d.ok()) return false;
  cap.unwind = std::move(modules);  // cumulative: the last chunk wins
  return true;
}

bool decode_drops(Decoder& d, Capture& cap, uint32_t record_count) {
  DropCounters drops;
  uint64_t probes = d.r.count(2);
  uint64_t counters = 0;
  for (uint64_t i = 0; i < probes && d.r.ok(); ++i) {
    std::string probe = d.r.str();
    uint64_t reasons = d.r.count(2);
    auto& by_reason = drops[probe];
    for (uint64_t k = 0; k < reasons && d.r.ok(); ++k) {
      std::string reason = d.r.str();
      by_reason[reason] = d.r.varint();
      ++counters;
    }
  }
  if (!check_count(d, counters, record_count)) return false;
  cap.drops = std::move(drops);  // cumulative counters: the last chunk wins
  return true;
}

bool decode_end(Decoder& d, Capture& cap, uint32_t record_count) {
  if (!check_count(d, 1, record_count)) return false;
  ByteReader b = record_body(d.r);
  EndInfo e;
  e.end_ns = b.varint();
  uint64_t flags = b.varint();
  e.interrupted = flags & 1;
  if (flags & 2) e.target_exited_ns = b.varint();
  e.reason = b.str();
  if (!b.ok()) return d.fail("malformed end record");
  if (!d.ok()) return false;
  cap.end = std::move(e);
  return true;
}

bool decode_load_run(Decoder& d, Capture& cap, uint32_t record_count) {
  if (!check_count(d, 1, record_count)) return false;
  ByteReader b = record_body(d.r);
  LoadRun l;
  l.summary_json = b.str();
  l.table = b.str();
  l.measured_start_ns = b.varint();
  l.measured_end_ns = b.varint();
  l.log_records = b.varint();
  l.log_dropped = b.varint();
  uint64_t n = b.count(2);
  for (uint64_t i = 0; i < n && b.ok(); ++i) {
    LoadStageSpan s;
    s.start_ns = b.varint();
    s.end_ns = b.varint();
    l.stages.push_back(s);
  }
  if (!b.ok()) return d.fail("malformed load run record");
  if (!d.ok()) return false;
  cap.load = std::move(l);
  return true;
}

}  // namespace

DecodeStatus decode_chunk(uint16_t type, std::string_view payload, uint32_t record_count, Capture& capture,
                          DecodeIndex& index, std::string& why) {
  ByteReader r(payload);
  Decoder d{r, why};
  uint64_t version = r.varint();
  if (!r.ok()) {
    why = "empty payload";
    return DecodeStatus::malformed;
  }
  if (version > kEncodingVersion) return DecodeStatus::unsupported_version;
  if (version == 0) {
    why = "encoding version 0";
    return DecodeStatus::malformed;
  }
  bool ok = false;
  switch (ChunkType(type)) {
    case ChunkType::metadata:
      ok = decode_metadata(d, capture, record_count);
      break;
    case ChunkType::clock_sync:
      ok = decode_clock_sync(d, capture, record_count);
      break;
    case ChunkType::processes:
      ok = decode_processes(d, capture, index, record_count);
      break;
    case ChunkType::threads:
      ok = decode_threads(d, capture, index, record_count);
      break;
    case ChunkType::mappings:
      ok = decode_mappings(d, capture, record_count);
      break;
    case ChunkType::frames:
      ok = decode_frames(d, capture, record_count);
      break;
    case ChunkType::stacks:
      ok = decode_stacks(d, capture, record_count);
      break;
    case ChunkType::cpu_samples:
      ok = decode_cpu_samples(d, capture, record_count);
      break;
    case ChunkType::cpu_accounting:
      ok = decode_cpu_accounting(d, capture, record_count);
      break;
    case ChunkType::cpu_accounting_extra:
      ok = decode_cpu_accounting_extra(d, capture, record_count);
      break;
    case ChunkType::stack_symbols:
      ok = decode_stack_symbols(d, capture, record_count);
      break;
    case ChunkType::drops:
      ok = decode_drops(d, capture, record_count);
      break;
    case ChunkType::unwind:
      ok = decode_unwind(d, capture, record_count);
      break;
    case ChunkType::end:
      ok = decode_end(d, capture, record_count);
      break;
    case ChunkType::offcpu:
      ok = decode_offcpu(d, capture, record_count);
      break;
    case ChunkType::io_events:
      ok = decode_io_events(d, capture, record_count);
      break;
    case ChunkType::allocations:
      ok = decode_allocations(d, capture, record_count);
      break;
    case ChunkType::requests:
      ok = decode_requests(d, capture, record_count);
      break;
    case ChunkType::load_run:
      ok = decode_load_run(d, capture, record_count);
      break;
    case ChunkType::resources:
      ok = decode_resources(d, capture, record_count);
      break;
    case ChunkType::sockets:
      ok = decode_sockets(d, capture, record_count);
      break;
    case ChunkType::offcpu_wakers:
      ok = decode_offcpu_wakers(d, capture, record_count);
      break;
    case ChunkType::mmap_events:
      ok = decode_mmaps(d, capture, record_count);
      break;
    default:
      why = "not a decodable chunk type";
      return DecodeStatus::malformed;
  }
  return ok ? DecodeStatus::ok : DecodeStatus::malformed;
}

}  // namespace loadprof::capture
