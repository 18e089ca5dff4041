// .lpc reader: recovers every complete chunk before damage (read_info says
// where), skips unknown chunk types, rejects garbage or an empty file with a
// corrupt_input error naming the offset. A time window keeps only the events
// (samples, off-CPU intervals, accounting, requests, resource readings) that
// touch it and skips whole chunks outside it without decompressing them. The
// memory the decoded records take is bounded relative to the file's size (a few kilobytes of
// zstd can claim gigabytes of records): past the bound the read fails with a
// corrupt_input error naming the offset, unless the caller lifts it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

struct ReadOptions {
  // Events kept: samples with time in [start, end]; intervals, seconds and
  // requests and resource readings overlapping it. Metadata, processes,
  // threads, maps, frames, stacks, drops and end are always read whole.
  uint64_t window_start_ns = 0;
  uint64_t window_end_ns = UINT64_MAX;
  // true: the window is in offsets from metadata.start_monotonic_ns (as
  // `report --window` gives it); events read before the metadata chunk, if
  // any, are kept whole.
  bool window_from_start = false;
  // Bound on the memory the decoded records may take (ReadInfo::decoded_bytes).
  // 0: decoded_bytes_bound(file size). kNoDecodedBytesBound: none.
  uint64_t max_decoded_bytes = 0;
};

inline constexpr uint64_t kNoDecodedBytesBound = UINT64_MAX;
// The default bound: kDecodedBytesBase + kDecodedBytesPerFileByte x the file
// size. Genuine captures stay far below it: their records take ~10x the
// file's bytes in memory, ~110x for a degenerate one (1 thread, 1 stack,
// samples exactly periodic), while a crafted file of zeros claims ~100,000x
// (docs/CAPTURE_FORMAT.md, "Memory bound").
inline constexpr uint64_t kDecodedBytesBase = 16ull << 20;
inline constexpr uint64_t kDecodedBytesPerFileByte = 1024;
uint64_t decoded_bytes_bound(uint64_t file_bytes);
// The value of the commands' --max-memory flag: a size ("4GiB") or
// "unlimited" (kNoDecodedBytesBound); a usage error otherwise.
[[nodiscard]] Result<uint64_t> parse_max_decoded_bytes(std::string_view text);

[[nodiscard]] Result<Capture> read_capture(const std::string& path, const ReadOptions& options = {});
[[nodiscard]] Result<Capture> read_capture_bytes(std::string_view bytes, const ReadOptions& options = {});

// True when the bytes start with the .lpc magic (to tell captures from folded text).
bool looks_like_capture(std::string_view first_bytes);

}  // namespace loadprof::capture
