// Writes a synthetic capture shaped like a long `loadprof record` of a busy
// server, quickly, for the report-time benchmark (bench/report/ten_minutes.sh).
// Defaults: 600 s, 2 CPUs both busy in the target at 999 Hz (1,198,800 cpu
// samples), one process with 8 threads, 20,000 distinct stacks over 6,000
// frames drawn with a Zipf-like popularity, stacks shaped as paths of a call
// tree (shared roots, user depth 10..40, kernel frames under 30 % of them).
// As the recorder does, it writes through CaptureWriter one flush per second,
// with each frame and stack added the first time a sample uses it, and the
// per-second CPU accounting and drop counters. Seeded: the same arguments give
// the same file.
//
//   bench_capture_gen OUT.lpc [--seconds 600] [--hz 999] [--cpus 2] [--stacks 20000] [--threads 8]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/capture/writer.h"

using namespace loadprof::capture;

namespace {

struct Options {
  std::string path;
  uint32_t seconds = 600, hz = 999, cpus = 2, stacks = 20000, threads = 8, frames = 6000;
};

bool parse(int argc, char** argv, Options& o) {
  if (argc < 2) return false;
  o.path = argv[1];
  for (int i = 2; i + 1 < argc; i += 2) {
    uint32_t v = static_cast<uint32_t>(std::strtoul(argv[i + 1], nullptr, 10));
    if (v == 0) return false;
    if (!std::strcmp(argv[i], "--seconds"))
      o.seconds = v;
    else if (!std::strcmp(argv[i], "--hz"))
      o.hz = v;
    else if (!std::strcmp(argv[i], "--cpus"))
      o.cpus = v;
    else if (!std::strcmp(argv[i], "--stacks"))
      o.stacks = v;
    else if (!std::strcmp(argv[i], "--threads"))
      o.threads = v;
    else
      return false;
  }
  return argc % 2 == 0;
}

// A frame as the symbolizer would give it: C++ names of realistic length in the
// server, libc/libstdc++ names, kernel symbols.
Frame make_frame(uint32_t id, std::mt19937_64& rng) {
  static const char* kNs[] = {"http", "db", "json", "cache", "auth", "util", "net", "log"};
  static const char* kKernel[] = {"do_syscall_64",
                                  "entry_SYSCALL_64_after_hwframe",
                                  "__x64_sys_read",
                                  "tcp_sendmsg",
                                  "ksys_write",
                                  "vfs_read",
                                  "schedule",
                                  "__schedule",
                                  "asm_sysvec_apic_timer_interrupt",
                                  "copy_user_enhanced_fast_string"};
  Frame f;
  uint32_t kind = id % 10;
  if (kind == 0) {
    f.function = std::string(kKernel[rng() % 10]) + (id % 3 ? "" : "_" + std::to_string(id));
    f.module = "[kernel]";
    f.address = 0xffffffff81000000ull + id * 64ull;
    f.kernel = true;
    return f;
  }
  f.address = 0x400000 + id * 96ull;
  f.module_offset = id * 96ull;
  if (kind == 1) {
    f.module = "libc.so.6";
    f.function = "__libc_fn_" + std::to_string(id);
  } else if (kind == 2) {
    f.module = "libstdc++.so.6";
    f.function = "std::__detail::_Hashtable_alloc<std::allocator<std::pair<std::string const, int>>>::_M_fn" +
                 std::to_string(id);
  } else {
    const char* ns = kNs[rng() % 8];
    f.module = "server";
    f.function = std::string(ns) + "::Handler" + std::to_string(id % 97) + "<" + ns + "::Request>::step_" +
                 std::to_string(id) + "(std::basic_string_view<char> const&, int)";
    f.file = std::string("src/") + ns + "/handler_" + std::to_string(id % 97) + ".cc";
    f.line = 10 + static_cast<uint32_t>(rng() % 900);
    f.inlined = rng() % 6 == 0;
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(
        stderr,
        "usage: bench_capture_gen OUT.lpc [--seconds N] [--hz N] [--cpus N] [--stacks N] [--threads N]\n");
    return 2;
  }
  std::mt19937_64 rng(20261129);
  const uint32_t pid = 31337;
  const uint64_t t0 = 7'000'000'000'000ull, rt0 = 1'795'000'000'000'000'000ull;

  // The call tree: a stack is a walk from fixed roots; the frame at each depth is a
  // function of the previous one and a small (Zipf-picked) choice, so prefixes are shared.
  std::vector<std::vector<uint32_t>> stack_frames(o.stacks);  // leaf first
  for (auto& st : stack_frames) {
    std::vector<uint32_t> root_first = {11, 13, 17, 19};  // _start .. worker_loop
    uint32_t depth = 10 + static_cast<uint32_t>(rng() % 31);
    uint64_t node = 19;
    while (root_first.size() < depth) {
      uint64_t choice =
          static_cast<uint64_t>(std::pow(std::uniform_real_distribution<double>(0, 1)(rng), 3) * 12);
      node = (node * 0x9E3779B97F4A7C15ull + choice * 0xBF58476D1CE4E5B9ull + root_first.size()) >> 7;
      uint32_t f = static_cast<uint32_t>(node % o.frames);
      if (f % 10 == 0) ++f;  // user part: no kernel frames
      root_first.push_back(f);
    }
    if (rng() % 10 < 3) {  // a kernel tail under the leaf
      uint32_t k = 1 + static_cast<uint32_t>(rng() % 12);
      for (uint32_t i = 0; i < k; ++i)
        root_first.push_back(static_cast<uint32_t>((rng() % (o.frames / 10)) * 10));
    }
    st.assign(root_first.rbegin(), root_first.rend());
  }
  // Zipf-like popularity over a shuffled rank order.
  std::vector<double> cdf(o.stacks);
  double sum = 0;
  for (uint32_t i = 0; i < o.stacks; ++i) cdf[i] = (sum += 1.0 / std::pow(i + 1.0, 0.9));
  std::vector<uint32_t> rank(o.stacks);
  for (uint32_t i = 0; i < o.stacks; ++i) rank[i] = i;
  std::shuffle(rank.begin(), rank.end(), rng);

  Metadata md;
  md.loadprof_version = "bench-synthetic";
  md.hostname = "bench";
  md.kernel_release = "6.18.0";
  md.command_line = "bench_capture_gen (synthetic " + std::to_string(o.seconds) + " s capture)";
  md.probes = {"cpu"};
  md.frequency_hz = o.hz;
  md.unwind = "fp";
  md.cpu_count = o.cpus;
  md.start_monotonic_ns = t0;
  md.start_realtime_ns = rt0;
  auto created = CaptureWriter::create(o.path, md);
  if (!created.ok()) {
    std::fprintf(stderr, "cannot create %s\n", o.path.c_str());
    return 1;
  }
  auto& w = **created;
  w.add_clock_sync({t0, rt0});
  w.add_process({pid, 1, "server", t0, {}, {}, {}, false, true});
  for (uint32_t t = 0; t < o.threads; ++t)
    w.add_thread({pid, pid + t, t ? "worker-" + std::to_string(t) : "server", t0, {}});
  w.add_mapping({pid, t0, 0x400000, 0x400000 + o.frames * 96ull, 0, "/srv/bin/server", "5eed0001", true});
  w.add_mapping(
      {pid, t0, 0x7f0000000000, 0x7f0000200000, 0x28000, "/usr/lib/x86_64-linux-gnu/libc.so.6", "", true});

  std::unordered_map<uint32_t, FrameId> frame_ids;
  std::vector<StackId> stack_ids(o.stacks, kNoStack);
  std::mt19937_64 frame_rng(7);
  const uint64_t period_ns = 1'000'000'000ull / o.hz;
  uint64_t samples = 0;
  for (uint32_t s = 0; s < o.seconds; ++s) {
    const uint64_t second_ns = t0 + uint64_t(s) * 1'000'000'000ull;
    for (uint32_t cpu = 0; cpu < o.cpus; ++cpu) {  // drained per CPU, as the ring buffers are
      for (uint32_t k = 0; k < o.hz; ++k) {
        double x = std::uniform_real_distribution<double>(0, sum)(rng);
        uint32_t pick = rank[std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin()];
        if (stack_ids[pick] == kNoStack) {
          Stack st;
          for (uint32_t f : stack_frames[pick]) {
            auto it = frame_ids.find(f);
            if (it == frame_ids.end()) it = frame_ids.emplace(f, w.add_frame(make_frame(f, frame_rng))).first;
            st.frames.push_back(it->second);
          }
          stack_ids[pick] = w.add_stack(st);
        }
        uint64_t t = second_ns + k * period_ns + rng() % 20'000 + cpu * 300'000;
        w.add_cpu_sample({t, pid, pid + static_cast<uint32_t>(rng() % o.threads), cpu, stack_ids[pick]});
        ++samples;
      }
      w.add_cpu_accounting({second_ns, cpu, o.hz, 0, 0, 0});
    }
    w.set_drops({{"cpu", {{"ringbuf_full", 0}, {"stack_truncated", s / 60}}}});
    if (!w.flush().ok()) {
      std::fprintf(stderr, "write failed at second %u\n", s);
      return 1;
    }
  }
  const uint64_t end_ns = t0 + uint64_t(o.seconds) * 1'000'000'000ull;
  w.add_clock_sync({end_ns, rt0 + uint64_t(o.seconds) * 1'000'000'000ull});
  if (!w.finish({end_ns, false, {}, "duration"}).ok()) return 1;
  uint32_t used = static_cast<uint32_t>(
      std::count_if(stack_ids.begin(), stack_ids.end(), [](StackId id) { return id != kNoStack; }));
  std::printf("%s: %u s, %llu cpu samples, %u stacks, %zu frames, %llu bytes\n", o.path.c_str(), o.seconds,
              static_cast<unsigned long long>(samples), used, frame_ids.size(),
              static_cast<unsigned long long>(w.bytes_written()));
  return 0;
}
