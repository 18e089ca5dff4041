// The body of the import fuzz target (perf script and folded text), shared
// with the corpus-replay test so the default-compiler suite runs exactly what
// the fuzzer runs. Any input either imports into a capture whose references
// hold and whose folded export adds up to its samples, or is refused with a
// one-line corrupt_input error naming the format (and the line, when there is
// one) — never a crash, never a capture a consumer could trip on.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/import.h"

namespace loadprof::capture::fuzz {

#define LOADPROF_IMPORT_CHECK(cond)                                                           \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)

// Folded counts become samples: a fuzz input of ten bytes could otherwise ask for 20M.
inline constexpr uint64_t kFuzzMaxSamples = 100'000;

inline void check_imported(const Result<ImportResult>& r, std::string_view format) {
  if (!r.ok()) {
    LOADPROF_IMPORT_CHECK(r.error().kind == ErrorKind::corrupt_input);
    LOADPROF_IMPORT_CHECK(r.error().message.starts_with(format));
    LOADPROF_IMPORT_CHECK(r.error().message.find('\n') == std::string::npos);
    return;
  }
  const Capture& c = r->capture;
  LOADPROF_IMPORT_CHECK(!c.cpu_samples.empty());
  LOADPROF_IMPORT_CHECK(r->samples == c.cpu_samples.size());
  LOADPROF_IMPORT_CHECK(c.cpu_samples.size() <= kMaxImportedSamples);
  LOADPROF_IMPORT_CHECK(!c.metadata.source.empty());
  for (const auto& s : c.stacks) {
    LOADPROF_IMPORT_CHECK(!s.frames.empty());
    for (FrameId f : s.frames) LOADPROF_IMPORT_CHECK(f < c.frames.size());
  }
  uint64_t last_ns = 0;
  for (const auto& s : c.cpu_samples) {
    LOADPROF_IMPORT_CHECK(s.stack == kNoStack || s.stack < c.stacks.size());
    LOADPROF_IMPORT_CHECK(s.time_ns >= last_ns);
    LOADPROF_IMPORT_CHECK(s.time_ns >= c.metadata.start_monotonic_ns);
    LOADPROF_IMPORT_CHECK(c.end && s.time_ns <= c.end->end_ns);
    last_ns = s.time_ns;
    LOADPROF_IMPORT_CHECK(std::any_of(c.processes.begin(), c.processes.end(),
                                      [&](const Process& p) { return p.pid == s.pid; }));
  }
  auto lines = folded_stacks(c, "cpu");
  LOADPROF_IMPORT_CHECK(lines.ok());
  uint64_t total = 0;
  for (const auto& l : *lines) total += l.count;
  LOADPROF_IMPORT_CHECK(total == c.cpu_samples.size());
}

inline void fuzz_import(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  check_imported(import_perf_script(text), "perf script");
  check_imported(import_folded(text, kFuzzMaxSamples), "folded");
}

}  // namespace loadprof::capture::fuzz
