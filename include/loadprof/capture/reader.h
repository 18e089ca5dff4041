// .lpc reader: recovers every complete chunk before damage (read_info says
// where), skips unknown chunk types, rejects garbage or an empty file with a
// corrupt_input error naming the offset. A time window keeps only the events
// (samples, off-CPU intervals, accounting, requests) that touch it and skips
// whole chunks outside it without decompressing them.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

struct ReadOptions {
  // Events kept: samples with time in [start, end]; intervals, seconds and
  // requests overlapping it. Metadata, processes, threads, maps, frames,
  // stacks, drops and end are always read whole.
  uint64_t window_start_ns = 0;
  uint64_t window_end_ns = UINT64_MAX;
};

[[nodiscard]] Result<Capture> read_capture(const std::string& path, const ReadOptions& options = {});
[[nodiscard]] Result<Capture> read_capture_bytes(std::string_view bytes, const ReadOptions& options = {});

// True when the bytes start with the .lpc magic (to tell captures from folded text).
bool looks_like_capture(std::string_view first_bytes);

}  // namespace loadprof::capture
