// The body of the --stages parser's fuzz target, shared with the corpus replay
// test. A parse either gives stages with positive durations and finite rates
// in [0, 10M] req/s that build a Schedule whose totals are finite and whose
// arrival times stay inside the run, or a usage error with a message that
// names the stage and is one line (unless the input itself holds a newline).
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "loadprof/load/schedule.h"

#define LOADPROF_FUZZ_CHECK(cond)                                           \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                         \
    }                                                                       \
  } while (0)

inline void fuzz_stages(const uint8_t* data, size_t size) {
  using namespace loadprof::load;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_stages(text);
  if (!parsed) {
    const auto& e = parsed.error();
    LOADPROF_FUZZ_CHECK(e.kind == loadprof::ErrorKind::usage);
    LOADPROF_FUZZ_CHECK(!e.message.empty());
    LOADPROF_FUZZ_CHECK(text.find('\n') != std::string_view::npos || e.message.find('\n') == std::string::npos);
    LOADPROF_FUZZ_CHECK(e.message.find("stage") != std::string::npos);
    return;
  }
  LOADPROF_FUZZ_CHECK(!parsed->empty());
  int64_t total_ns = 0;
  for (const auto& s : *parsed) {
    LOADPROF_FUZZ_CHECK(s.duration_ns > 0);
    LOADPROF_FUZZ_CHECK(std::isfinite(s.rate_start_rps) && std::isfinite(s.rate_end_rps));
    LOADPROF_FUZZ_CHECK(s.rate_start_rps >= 0 && s.rate_start_rps <= 1e7);
    LOADPROF_FUZZ_CHECK(s.rate_end_rps >= 0 && s.rate_end_rps <= 1e7);
    LOADPROF_FUZZ_CHECK(!__builtin_add_overflow(total_ns, s.duration_ns, &total_ns));
  }
  // The schedule built from any accepted list (with a 1 s warmup, as the CLI
  // allows) must be usable: finite arrivals, times inside the run.
  int64_t warmup_ns = 1'000'000'000;
  LOADPROF_FUZZ_CHECK(!__builtin_add_overflow(total_ns, warmup_ns, &total_ns));
  Schedule schedule(*parsed, warmup_ns);
  LOADPROF_FUZZ_CHECK(schedule.total_ns() == total_ns);
  double total = schedule.total_arrivals();
  LOADPROF_FUZZ_CHECK(std::isfinite(total) && total >= 0);
  for (double frac : {0.0, 0.25, 0.5, 0.999}) {
    int64_t t = schedule.time_of_arrival(total * frac);
    LOADPROF_FUZZ_CHECK(t >= 0 && t <= schedule.total_ns());
    int idx = schedule.stage_at(t);
    LOADPROF_FUZZ_CHECK(idx >= -1 && idx <= static_cast<int>(parsed->size()));
    double r = schedule.rate_at(t);
    LOADPROF_FUZZ_CHECK(std::isfinite(r) && r >= 0 && r <= 1e7);
  }
}
