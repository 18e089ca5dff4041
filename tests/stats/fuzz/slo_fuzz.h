// The body of the --slo parser's fuzz target, shared with the corpus replay
// test. Accepted terms have a known metric, the comparator written in their
// text, a finite non-negative threshold (errors at most 100 %), and re-parse
// to the same terms from their own text joined with commas; evaluation gives
// one verdict per term. A windowed term (@DURATION) has a window of >= 1 s. A rejection is a usage error
// naming the bad term.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "loadprof/stats/slo.h"

#ifndef LOADPROF_FUZZ_CHECK
#define LOADPROF_FUZZ_CHECK(cond)                                                             \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
#endif

inline void fuzz_slo(const uint8_t* data, size_t size) {
  using namespace loadprof::stats;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_slo(text);
  if (!parsed) {
    const auto& e = parsed.error();
    LOADPROF_FUZZ_CHECK(e.kind == loadprof::ErrorKind::usage);
    LOADPROF_FUZZ_CHECK(!e.message.empty());
    LOADPROF_FUZZ_CHECK(text.find('\n') != std::string_view::npos ||
                        e.message.find('\n') == std::string::npos);
    LOADPROF_FUZZ_CHECK(e.message.find("SLO") != std::string::npos ||
                        e.message.find("term") != std::string::npos);
    return;
  }
  LOADPROF_FUZZ_CHECK(!parsed->empty());
  std::string joined;
  for (const auto& t : *parsed) {
    LOADPROF_FUZZ_CHECK(static_cast<int>(t.metric) >= static_cast<int>(SloMetric::p50) &&
                        static_cast<int>(t.metric) <= static_cast<int>(SloMetric::rps));
    LOADPROF_FUZZ_CHECK(!t.text.empty() && text.find(t.text) != std::string_view::npos);
    LOADPROF_FUZZ_CHECK(t.text.find(t.less_than ? '<' : '>') != std::string::npos);
    LOADPROF_FUZZ_CHECK(std::isfinite(t.threshold) && t.threshold >= 0);
    if (t.metric == SloMetric::errors) LOADPROF_FUZZ_CHECK(t.threshold <= 100);
    LOADPROF_FUZZ_CHECK(t.window_ns == 0 ||
                        (t.window_ns >= 1'000'000'000 && t.text.find('@') != std::string::npos));
    joined += (joined.empty() ? "" : ",") + t.text;
  }
  auto again = parse_slo(joined);
  LOADPROF_FUZZ_CHECK(again.ok() && again->size() == parsed->size());
  for (size_t i = 0; i < parsed->size(); ++i) {
    const auto &a = (*parsed)[i], &b = (*again)[i];
    LOADPROF_FUZZ_CHECK(a.text == b.text && a.metric == b.metric && a.less_than == b.less_than &&
                        a.threshold == b.threshold && a.window_ns == b.window_ns);
  }
  SloInput in;
  in.latency.p50_ms = in.latency.p90_ms = in.latency.p95_ms = in.latency.p99_ms = in.latency.p999_ms =
      in.latency.max_ms = 1.0;
  in.error_rate_pct = 1.0;
  in.throughput_rps = 1.0;
  auto verdicts = evaluate_slo(*parsed, in);
  LOADPROF_FUZZ_CHECK(verdicts.size() == parsed->size());
  for (size_t i = 0; i < verdicts.size(); ++i) {
    const auto& t = (*parsed)[i];
    LOADPROF_FUZZ_CHECK(verdicts[i].term == t.text && verdicts[i].value == 1.0);
    LOADPROF_FUZZ_CHECK(verdicts[i].ok == (t.less_than ? 1.0 < t.threshold : 1.0 > t.threshold));
  }
}
