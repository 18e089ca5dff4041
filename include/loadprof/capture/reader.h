// .lpc reader: recovers every complete chunk before damage (read_info says
// where), skips unknown chunk types, rejects garbage or an empty file with a
// corrupt_input error naming the offset.
#pragma once

#include <string>
#include <string_view>

#include "loadprof/capture/model.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

[[nodiscard]] Result<Capture> read_capture(const std::string& path);
[[nodiscard]] Result<Capture> read_capture_bytes(std::string_view bytes);

// True when the bytes start with the .lpc magic (to tell captures from folded text).
bool looks_like_capture(std::string_view first_bytes);

}  // namespace loadprof::capture
