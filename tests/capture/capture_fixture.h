// Test fixtures for the capture module: a deterministic capture holding every
// record kind, written through the real CaptureWriter in several flushes.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "capture/format.h"
#include "loadprof/capture/model.h"
#include "loadprof/capture/writer.h"

namespace loadprof::capture::testing {

// A temporary file path, removed when the object dies.
class TempPath {
 public:
  explicit TempPath(const std::string& name) {
    path_ = (std::string(::getenv("TMPDIR") ? ::getenv("TMPDIR") : "/tmp")) + "/loadprof_capture_" +
            std::to_string(::getpid()) + "_" + name;
  }
  ~TempPath() { ::unlink(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

// A capture with every record kind; `samples` cpu samples spread over 3 pids.
inline Capture make_reference_capture(size_t samples, uint32_t seed = 1) {
  std::mt19937_64 rng(seed);
  Capture c;
  c.metadata.loadprof_version = "0.1.0";
  c.metadata.hostname = "host-a";
  c.metadata.kernel_release = "6.1.0-test";
  c.metadata.command_line = "loadprof record --pid 100 --duration 10";
  c.metadata.probes = {"cpu", "offcpu"};
  c.metadata.frequency_hz = 999;
  c.metadata.unwind = "fp";
  c.metadata.cpu_count = 2;
  c.metadata.start_monotonic_ns = 1'000'000'000'000;
  c.metadata.start_realtime_ns = 1'700'000'000'000'000'000;
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  c.clock_sync = {{t0, c.metadata.start_realtime_ns},
                  {t0 + 10'000'000'000, c.metadata.start_realtime_ns + 10'000'000'123}};

  Process p1{100, 1, "server", t0, std::nullopt, std::nullopt, std::nullopt, false, true};
  Process p2{101, 100, "worker;x", t0 + 5, t0 + 900'000'000, 0, std::nullopt, false, false};
  Process p3{102, 100, "killed", t0 + 7, t0 + 800'000'000, std::nullopt, 9, true, false};
  c.processes = {p1, p2, p3};
  c.threads = {{100, 100, "server", t0, std::nullopt},
               {100, 103, "io-thread", t0 + 1, t0 + 50},
               {101, 101, "worker", t0 + 5, t0 + 900'000'000}};
  c.mappings = {{100, t0, 0x400000, 0x401000, 0, "/usr/bin/server", "deadbeef01", true},
                {100, t0 + 3, 0x7f0000000000, 0x7f0000200000, 0x1000, "/usr/lib/libc.so.6", "", true},
                {101, t0 + 5, 0x10000, 0x8000, 7, "/weird", "00", false}};  // end < start: kept as is

  c.frames = {
      {0x401000, "main", "server", 0x1000, "server.cc", 10, false, false},
      {0x401100, "handle_request(int)", "server", 0x1100, "server.cc", 42, false, false},
      {0x401200, "parse", "server", 0x1200, "", 0, true, false},
      {0xffffffff81000000ull, "do_syscall_64", "[kernel]", 0, "", 0, false, true},
      {0x7f0000001234, "", "libc.so.6", 0x1234, "", 0, false, false},
      {0x401300, "ns::f<a;b>", "server", 0x1300, "", 0, false, false},
  };
  c.stacks = {{{1, 0}, false}, {{2, 1, 0}, false}, {{3, 4, 1, 0}, false}, {{5}, true}, {{}, false}};

  const uint32_t pids[3] = {100, 101, 102};
  uint64_t t = t0;
  c.cpu_samples.reserve(samples);
  for (size_t i = 0; i < samples; ++i) {
    t += 500'000 + rng() % 2'000;  // ~2 CPUs at 999 Hz
    uint32_t pid = pids[rng() % 3];
    uint32_t tid = pid == 100 && rng() % 4 == 0 ? 103 : pid;
    uint32_t stack_pick = uint32_t(rng() % 6);
    StackId stack = stack_pick == 5 ? kNoStack : stack_pick;
    // A few samples arrive slightly out of time order, as with two CPUs' buffers.
    uint64_t when = (i % 97 == 0 && t > 1000) ? t - 700 : t;
    c.cpu_samples.push_back({when, pid, tid, uint32_t(i % 2), stack});
  }
  c.offcpu = {{t0 + 10, t0 + 2'000'010, 100, 103, 2, 1, OffCpuReason::disk, 1},
              {t0 + 5, t0 + 6, 101, 101, kNoStack, kNoStack, OffCpuReason::runqueue, 17},
              {t0 + 100, t0 + 50, 102, 102, 0, kNoStack, OffCpuReason::other, 1}};
  {
    IoSyscallRecord merged;  // calls merged in BPF: a histogram over several buckets
    merged.start_ns = t0 + 20;
    merged.end_ns = t0 + 900'000'000;
    merged.pid = 100;
    merged.tid = 103;
    merged.syscall = IoSyscall::write;
    merged.fd_kind = FdKind::file;
    merged.stack = 3;
    merged.count = 200;
    merged.bytes = 200 * 4096;
    merged.total_ns = 1'234'567;
    merged.max_ns = 90'000;
    merged.latency_log2[10] = 150;
    merged.latency_log2[12] = 49;
    merged.latency_log2[16] = 1;
    IoSyscallRecord slow;  // one slow call, no stack, an error
    slow.start_ns = t0 + 7;
    slow.end_ns = t0 + 50'000'007;
    slow.pid = 101;
    slow.tid = 101;
    slow.syscall = IoSyscall::read;
    slow.fd_kind = FdKind::pipe;
    slow.count = 1;
    slow.errors = 1;
    slow.total_ns = slow.max_ns = 50'000'000;
    slow.latency_log2[25] = 1;
    IoSyscallRecord last = slow;  // the last bucket and a poll-family call
    last.syscall = IoSyscall::epoll_pwait2;
    last.fd_kind = FdKind::poll;
    last.errors = 0;
    last.latency_log2 = {};
    last.latency_log2[kIoLatencyBuckets - 1] = 1;
    c.io_syscalls = {merged, slow, last};
    IoDeviceRecord disk;
    disk.start_ns = t0 + 30;
    disk.end_ns = t0 + 1'000'000'000;
    disk.dev = 254u << 20;
    disk.device = "vda";
    disk.op = BlockOp::write;
    disk.count = 12;
    disk.bytes = 12 * 8192;
    disk.total_ns = 6'000'000;
    disk.max_ns = 900'000;
    disk.latency_log2[18] = 11;
    disk.latency_log2[19] = 1;
    IoDeviceRecord flush = disk;
    flush.op = BlockOp::flush;
    flush.bytes = 0;
    flush.count = 1;
    flush.errors = 1;
    flush.latency_log2 = {};
    flush.latency_log2[20] = 1;
    c.io_devices = {disk, flush};
  }
  // alloc probe: a calloc freed through realloc, an untracked malloc that
  // stays live, an aligned allocation, and the probe's info.
  c.allocs = {{t0 + 40, 100, 103, 0x7f0000001000, 64, AllocFn::calloc, false, true, 3},
              {t0 + 41, 100, 100, 0x7f0000002000, 1 << 20, AllocFn::malloc, false, false, 0},
              {t0 + 60, 100, 103, 0x7f0000001000, 64, AllocFn::realloc, true, true, kNoStack},
              {t0 + 61, 101, 101, 0x55000000, 4096, AllocFn::memalign, false, true, 3}};
  c.alloc_info =
      AllocInfo{"uprobes", "glibc", "/usr/lib/x86_64-linux-gnu/libc.so.6", 0, 9, 1'052'000, 3, 1, 5};
  // io probe sockets: a TCP client (IPv4) and a unix server.
  {
    SocketRecord db;
    db.start_ns = t0 + 10;
    db.end_ns = t0 + 900'000'000;
    db.pid = 100;
    db.family = 2;
    db.protocol = SocketProtocol::tcp;
    db.role = SocketRole::client;
    db.remote_addr = {127, 0, 0, 1};
    db.remote_port = 5432;
    db.local_port = 40123;
    db.round_trips = 1000;
    db.wait_ns = 250'000'000;
    db.bytes_sent = 32'000;
    db.bytes_received = UINT64_MAX;
    db.sends = 1000;
    db.receives = 1001;
    SocketRecord local = db;
    local.family = 1;
    local.protocol = SocketProtocol::unix_socket;
    local.role = SocketRole::server;
    local.remote_addr = {};
    local.remote_port = local.local_port = 0;
    local.start_ns = local.end_ns = t0 + 5;
    // A TCP server socket whose exchanges made round trips to the database
    // (the second starting before the socket's first data: deltas are signed).
    SocketRecord served = db;
    served.role = SocketRole::server;
    served.remote_port = 40999;
    served.local_port = 8080;
    NestedRoundTrips to_db{2, {127, 0, 0, 1}, 5432, 8, 4'000'000};
    served.served = {{t0 + 20, t0 + 5'000'020, 101, {to_db}}, {t0 + 1, t0 + 30, 102, {to_db, to_db}}};
    c.sockets = {db, local, served};
    c.offcpu_wakers = {{100, 101, OffCpuReason::lock, 100, 102, "holder", 40, 320'000'000},
                       {100, 101, OffCpuReason::sleep, 0, 0, "swapper/1", 7, 21'000'000}};
  }
  c.cpu_accounting = {{t0, 0, 900, 5, 50, 44}, {t0, 1, 10, 0, 980, 9}, {t0 + 1'000'000'000, 0, 999, 0, 0, 0}};
  c.requests = {{t0 + 1000, t0 + 1100, 50'000, t0 + 900'000, t0 + 1'000'000, 200, 0, 512, 1, 40000, 0, 1},
                {t0 + 2000, t0 + 2000, 0, 0, 0, 0, 3, 0, 2, 40001, 1, 65535}};
  // Machine and process rows; one first reading (interval 0), one without ctxsw.
  c.resources = {{t0, kMachinePid, 0, 0, 1'000'000'000, 3'000'000'000, 0, 0, 0, 0, 0, 0, false, 0, 0},
                 {t0 + 2'000, 100, 0, 0, 40 << 20, 0, 0, 0, 0, 0, 0, 0, true, 3, 12},
                 {t0 + 1'000'000'000, kMachinePid, 1'000'000'000, 1'400'000'000, 1'100'000'000, 2'900'000'000,
                  0, 0, 0, 0, 0, 0, false, 0, 0},
                 {t0 + 1'000'002'000, 100, 1'000'000'000, 990'000'000, 140 << 20, 0, 4096, 1 << 30, 777,
                  UINT64_MAX, 1234, 5, true, 21, 1030},
                 {t0 + 1'500'000'000, 101, 0, 0, 1 << 20, 0, 0, 0, 0, 0, 0, 0, false, 1, 3}};
  c.drops = {{"cpu", {{"ringbuf_full", 3}, {"stack_truncated", 12}}}, {"offcpu", {{"map_full", 1}}}};
  c.end = EndInfo{t0 + 10'000'000'000, true, t0 + 9'000'000'000, "interrupted"};
  return c;
}

// Writes `c` through CaptureWriter, split into `batches` flushes; the drop
// counters are set twice (an early partial value, then the final one) and
// the last process record of pid 101 is re-added with its exit info.
inline Result<void> write_capture(const std::string& path, const Capture& c, size_t batches = 4,
                                  bool finish = true) {
  auto created = CaptureWriter::create(path, c.metadata);
  if (!created.ok()) return created.error();
  auto& w = *created.value();
  auto part = [&](size_t i, size_t n) {
    return std::pair<size_t, size_t>(i * n / batches, (i + 1) * n / batches);
  };
  for (size_t b = 0; b < batches; ++b) {
    auto [cs0, cs1] = part(b, c.clock_sync.size());
    for (size_t i = cs0; i < cs1; ++i) w.add_clock_sync(c.clock_sync[i]);
    // Processes are first seen alive; the exit information comes in a later record.
    if (b == 0) {
      for (Process p : c.processes) {
        p.exit_ns.reset();
        p.exit_code.reset();
        p.exit_signal.reset();
        w.add_process(p);
      }
    }
    if (b + 1 == batches) {
      for (const auto& p : c.processes) {
        if (p.exit_ns || p.exit_code || p.exit_signal) w.add_process(p);
      }
    }
    auto [t0, t1] = part(b, c.threads.size());
    for (size_t i = t0; i < t1; ++i) w.add_thread(c.threads[i]);
    auto [m0, m1] = part(b, c.mappings.size());
    for (size_t i = m0; i < m1; ++i) w.add_mapping(c.mappings[i]);
    // Frames and stacks come before the samples that use them: two frames
    // chunks (ids continue across chunks), then the stacks, all in batch 0.
    if (b == 0) {
      size_t half = c.frames.size() / 2;
      for (size_t i = 0; i < half; ++i) w.add_frame(c.frames[i]);
      auto flushed = w.flush();
      if (!flushed.ok()) return flushed;
      for (size_t i = half; i < c.frames.size(); ++i) w.add_frame(c.frames[i]);
      for (const auto& s : c.stacks) w.add_stack(s);
    }
    auto [s0, s1] = part(b, c.cpu_samples.size());
    for (size_t i = s0; i < s1; ++i) w.add_cpu_sample(c.cpu_samples[i]);
    auto [o0, o1] = part(b, c.offcpu.size());
    for (size_t i = o0; i < o1; ++i) w.add_offcpu(c.offcpu[i]);
    auto [io0, io1] = part(b, c.io_syscalls.size());
    for (size_t i = io0; i < io1; ++i) w.add_io_syscall(c.io_syscalls[i]);
    auto [d0, d1] = part(b, c.io_devices.size());
    for (size_t i = d0; i < d1; ++i) w.add_io_device(c.io_devices[i]);
    auto [al0, al1] = part(b, c.allocs.size());
    for (size_t i = al0; i < al1; ++i) w.add_alloc(c.allocs[i]);
    if (b + 1 == batches && c.alloc_info) w.set_alloc_info(*c.alloc_info);
    if (b + 1 == batches)
      for (const auto& s : c.sockets) w.add_socket(s);  // the recorder writes them at the end
    auto [a0, a1] = part(b, c.cpu_accounting.size());
    for (size_t i = a0; i < a1; ++i) w.add_cpu_accounting(c.cpu_accounting[i]);
    auto [r0, r1] = part(b, c.requests.size());
    for (size_t i = r0; i < r1; ++i) w.add_request(c.requests[i]);
    auto [q0, q1] = part(b, c.resources.size());
    for (size_t i = q0; i < q1; ++i) w.add_resource(c.resources[i]);
    if (b == 0) w.set_drops({{"cpu", {{"ringbuf_full", 1}}}});
    if (b + 1 == batches) w.set_drops(c.drops);
    auto flushed = w.flush();
    if (!flushed.ok()) return flushed;
  }
  if (finish && c.end) return w.finish(*c.end);
  return {};
}

// A crafted cpu_samples chunk of n well-formed samples (every delta 0, no
// stack): 5 zero bytes per sample, which zstd shrinks to almost nothing, so
// a file of a few KB declares millions of records.
inline std::string zero_samples_chunk(uint32_t n) {
  std::string payload;
  payload.push_back(1);  // encoding version
  uint64_t v = n;
  while (v >= 0x80) {
    payload.push_back(char(0x80 | (v & 0x7f)));
    v >>= 7;
  }
  payload.push_back(char(v));
  payload.append(size_t(n) * 5, '\0');
  std::string out;
  if (!append_chunk(out, uint16_t(ChunkType::cpu_samples), payload, n, 0, 0, 19, nullptr).ok()) return {};
  return out;
}

}  // namespace loadprof::capture::testing
