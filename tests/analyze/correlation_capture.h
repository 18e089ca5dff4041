// Captures with requests and planted effects, built in memory, shared by the
// correlation analysis tests and the report tests (figures worked out in the comments).
#pragma once

#include <cstdint>
#include <optional>

#include "loadprof/capture/model.h"

namespace loadprof::testing {

inline constexpr uint64_t kStart = 1'000'000'000'000ULL;
inline constexpr uint64_t kSec = 1'000'000'000ULL;
inline constexpr uint64_t kMs = 1'000'000ULL;

// Frames: 0 main, 1 handle, 2 burn, 3 parse, 4 noise, 5 futex_wait (kernel).
// Stacks (leaf first): 0 burn;handle;main  1 parse;handle;main  2 noise;main  3 futex_wait;handle;main
inline capture::Capture base_capture(uint64_t seconds) {
  capture::Capture c;
  c.metadata.probes = {"cpu"};
  c.metadata.frequency_hz = 99;
  c.metadata.start_monotonic_ns = kStart;
  capture::Process p;
  p.pid = 7;
  p.command = "server";
  p.root = true;
  p.start_ns = kStart;
  c.processes = {p};
  for (const char* fn : {"main", "handle", "burn", "parse", "noise"}) {
    capture::Frame f;
    f.function = fn;
    f.module = "server";
    c.frames.push_back(f);
  }
  capture::Frame k;
  k.function = "futex_wait";
  k.module = "[kernel]";
  k.kernel = true;
  c.frames.push_back(k);
  c.stacks = {{{2, 1, 0}, false}, {{3, 1, 0}, false}, {{4, 0}, false}, {{5, 1, 0}, false}};
  c.end = capture::EndInfo{kStart + seconds * kSec, false, std::nullopt, "duration"};
  return c;
}

// Each request on a connection of its own unless told (as without keep-alive).
inline void add_request(capture::Capture& c, uint64_t start_ns, uint64_t latency_ns, uint16_t stage = 0,
                        std::optional<uint32_t> connection = std::nullopt) {
  capture::RequestRecord r;
  r.connection_id = connection.value_or(static_cast<uint32_t>(c.requests.size()));
  r.intended_start_ns = start_ns;
  r.actual_start_ns = start_ns;
  r.first_byte_ns = start_ns + latency_ns;
  r.end_ns = start_ns + latency_ns;
  r.status = 200;
  r.stage = stage;
  c.requests.push_back(r);
}

inline void add_samples(capture::Capture& c, uint64_t from_ns, uint64_t to_ns, capture::StackId stack, int n,
                        uint32_t tid = 7) {
  for (int i = 0; i < n; ++i) {
    capture::CpuSample s;
    s.time_ns = from_ns + (to_ns - from_ns) * static_cast<uint64_t>(i) / static_cast<uint64_t>(n);
    s.pid = 7;
    s.tid = tid;
    s.stack = stack;
    c.cpu_samples.push_back(s);
  }
}

// 10 windows of 100 requests; windows 3 and 7 are slow: 10 of their requests
// take 50 ms (p99 50 ms), the fast windows' p99 is 2 + 0.1 w ms. cpu samples
// per window: fast 10 noise + 90 parse; slow 10 noise + 40 parse + 50 burn.
// So: burn 0 % -> 50 % (+50), noise 10 % -> 10 % (0), parse 90 % -> 40 % (-50).
inline capture::Capture planted() {
  capture::Capture c = base_capture(10);
  for (uint64_t w = 0; w < 10; ++w) {
    const bool slow = w == 3 || w == 7;
    const uint64_t t0 = kStart + w * kSec;
    for (uint64_t i = 0; i < 100; ++i) {
      const uint64_t latency = slow && i % 10 == 0 ? 50 * kMs : 2 * kMs + w * kMs / 10;
      // Requests end inside the window: start them early enough.
      add_request(c, t0 + i * 9 * kMs, latency);
    }
    add_samples(c, t0, t0 + kSec, 2, 10);
    add_samples(c, t0 + 1, t0 + kSec, 1, slow ? 40 : 90);
    if (slow) add_samples(c, t0 + 2, t0 + kSec, 0, 50);
  }
  return c;
}

// 200 requests, one every 10 ms, none overlapping: every 50th takes 9 ms
// with 8 samples in burn and 1 in parse (4 of them: latency >= p99, the 198th),
// the others 1 ms with 1 sample in parse.
inline capture::Capture slow_request_planted() {
  capture::Capture c = base_capture(2);
  for (uint64_t i = 0; i < 200; ++i) {
    const uint64_t t = kStart + i * 10 * kMs;
    const bool slow = i % 50 == 0;
    add_request(c, t, slow ? 9 * kMs : 1 * kMs);
    if (slow) {
      add_samples(c, t + 1, t + 9 * kMs, 0, 8);
      add_samples(c, t + 2, t + 9 * kMs, 1, 1);
    } else {
      add_samples(c, t + 1, t + kMs, 1, 1);
    }
  }
  return c;
}

}  // namespace loadprof::testing
