// Parsing and formatting of durations and sizes as SPEC.md defines them:
// durations `us ms s m h` (a bare number is seconds; compounds like `1m30s`),
// sizes `B KiB MiB GiB`.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadprof/util/result.h"

namespace loadprof {

// "10" and "10s" -> 10e9; "250ms" -> 250e6; "1.5m" -> 90e9; "1m30s" -> 90e9
// (units largest first, each once: "1h30m", "2s500ms"). Negative, empty,
// unknown suffix or overflow -> ErrorKind::usage naming the text.
Result<int64_t> parse_duration_ns(std::string_view text);
// Like parse_duration_ns but a bare number means milliseconds (SLO latency terms).
Result<int64_t> parse_duration_ns_default_ms(std::string_view text);
// "64KiB" -> 65536; a bare number is bytes.
Result<uint64_t> parse_size_bytes(std::string_view text);
// Non-negative integer with no suffix; rejects junk and overflow.
Result<uint64_t> parse_uint(std::string_view text);
// Finite non-negative decimal number.
Result<double> parse_double(std::string_view text);

// 1500000 -> "1.50ms"; picks the largest unit that keeps the value >= 1.
std::string format_duration_ns(int64_t ns);
// 65536 -> "64.0 KiB".
std::string format_bytes(uint64_t bytes);

}  // namespace loadprof
