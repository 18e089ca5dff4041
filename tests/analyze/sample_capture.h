// A hand-built capture whose figures are known exactly (computed by hand in
// the comments), shared by the analysis and report tests.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "loadprof/capture/model.h"

namespace loadprof::testing {

inline constexpr uint64_t kStartNs = 1'000'000'000'000ULL;
inline constexpr uint64_t kSecNs = 1'000'000'000ULL;

inline capture::Frame user_frame(const std::string& fn, const std::string& module = "prog") {
  capture::Frame f;
  f.function = fn;
  f.module = module;
  return f;
}

inline capture::Frame kernel_frame(const std::string& fn) {
  capture::Frame f;
  f.function = fn;
  f.module = "[kernel]";
  f.kernel = true;
  return f;
}

// Frames: 0 main, 1 work, 2 hot, 3 cold, 4 rec, 5 do_syscall_64 (kernel), 6 read (libc).
// cpu samples (100):
//   pid 100 "prog":  55-5=50 x main;work;hot   20 x main;work;cold   10 x main;rec;rec;rec
//                    10 x main;read;do_syscall_64_[k] (stack marked truncated)   5 without a stack
//   pid 101 "child":  5 x main;work;hot
// self:  hot 55, cold 20, do_syscall_64_[k] 10, rec 10
// total: main 95, work 75, hot 55, cold 20, do_syscall_64_[k] 10, read 10, rec 10 (not 30: once per stack)
// Processes: 100 launched root, exit code 0 at +3.5 s; 101 child, SIGKILL at +2.25 s.
// End at +4 s, reason "target exited", target gone at +3.5 s.
// Accounting (2 CPUs x 2 s), see the analysis test for the shares.
inline capture::Capture sample_capture() {
  using namespace capture;
  Capture c;
  c.metadata.loadprof_version = "0.1.0";
  c.metadata.hostname = "testhost";
  c.metadata.kernel_release = "6.18.0";
  c.metadata.command_line = "loadprof record --output cap.lpc -- ./prog";
  c.metadata.probes = {"cpu"};
  c.metadata.frequency_hz = 99;
  c.metadata.unwind = "fp";
  c.metadata.cpu_count = 2;
  c.metadata.start_monotonic_ns = kStartNs;
  c.metadata.start_realtime_ns = 1'790'000'000'000'000'000ULL;

  Process prog;
  prog.pid = 100;
  prog.ppid = 1;
  prog.command = "prog";
  prog.start_ns = kStartNs;
  prog.exit_ns = kStartNs + 3 * kSecNs + kSecNs / 2;
  prog.exit_code = 0;
  prog.launched = true;
  prog.root = true;
  Process child;
  child.pid = 101;
  child.ppid = 100;
  child.command = "child";
  child.start_ns = kStartNs + kSecNs;
  child.exit_ns = kStartNs + 2 * kSecNs + kSecNs / 4;
  child.exit_signal = 9;
  // Listed child first: the analysis puts the root first.
  c.processes = {child, prog};

  c.frames = {user_frame("main"),
              user_frame("work"),
              user_frame("hot"),
              user_frame("cold"),
              user_frame("rec"),
              kernel_frame("do_syscall_64"),
              user_frame("read", "libc.so.6")};
  // Stacks are leaf first.
  c.stacks = {Stack{{2, 1, 0}, false}, Stack{{3, 1, 0}, false}, Stack{{4, 4, 4, 0}, false},
              Stack{{5, 6, 0}, true}};

  auto add = [&](uint32_t pid, StackId stack, int n) {
    for (int i = 0; i < n; ++i) {
      CpuSample s;
      s.time_ns = kStartNs + static_cast<uint64_t>(i) * 10'000'000ULL;
      s.pid = pid;
      s.tid = pid;
      s.cpu = static_cast<uint32_t>(i % 2);
      s.stack = stack;
      c.cpu_samples.push_back(s);
    }
  };
  add(100, 0, 50);
  add(100, 1, 20);
  add(100, 2, 10);
  add(100, 3, 10);
  add(100, kNoStack, 5);
  add(101, 0, 5);

  auto acc = [&](uint64_t sec, uint32_t cpu, uint64_t target, uint64_t self, uint64_t other, uint64_t idle) {
    c.cpu_accounting.push_back(CpuAccounting{kStartNs + sec * kSecNs, cpu, target, self, other, idle});
  };
  acc(0, 0, 80, 1, 9, 10);
  acc(0, 1, 20, 0, 30, 50);
  acc(1, 0, 99, 1, 0, 0);
  acc(1, 1, 1, 0, 0, 99);

  c.drops["cpu"]["ringbuf_full"] = 3;

  EndInfo end;
  end.end_ns = kStartNs + 4 * kSecNs;
  end.interrupted = false;
  end.target_exited_ns = kStartNs + 3 * kSecNs + kSecNs / 2;
  end.reason = "target exited";
  c.end = end;
  c.read_info.chunks_read = 7;
  return c;
}

}  // namespace loadprof::testing
