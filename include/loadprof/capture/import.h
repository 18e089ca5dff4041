// Import of other tools' profiles as captures: the text of `perf script`
// (default output of `perf record -g` and its -F variations) and folded stacks
// ("a;b;c N"). The result is a whole in-memory Capture that the writer saves
// like a recorded one, so every command reads it. Bad input is a corrupt_input
// error naming the line.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

// Folded counts become that many samples (the capture has no per-sample
// weight); past this total the import is refused rather than taking gigabytes.
inline constexpr uint64_t kMaxImportedSamples = 20'000'000;

struct ImportResult {
  Capture capture;       // metadata.source says where it came from and which clock its times are on
  std::string event;     // perf script: the event kept ("cpu-clock:ppp")
  uint64_t samples = 0;  // samples kept
  std::map<std::string, uint64_t> skipped_events;  // perf script: other events -> samples not imported
  std::vector<std::string> warnings;               // for the command to print
};

[[nodiscard]] Result<ImportResult> import_perf_script(std::string_view text);
// max_samples: the bound on the counts' total (lower in the fuzz target).
[[nodiscard]] Result<ImportResult> import_folded(std::string_view text,
                                                 uint64_t max_samples = kMaxImportedSamples);

}  // namespace loadprof::capture
