// A time window of a capture (`report --window START..END`, in seconds from
// the capture's start): parsing the flag's text, placing it on the capture's
// span, and cutting a capture's events to it exactly — samples inside it,
// off-CPU intervals clipped to it, accounting seconds prorated, requests that
// were due to start inside it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "loadprof/capture/model.h"
#include "loadprof/capture/reader.h"
#include "loadprof/util/result.h"

namespace loadprof::capture {

// Offsets from the capture's start; no end = to the capture's end.
struct TimeWindow {
  uint64_t start_offset_ns = 0;
  std::optional<uint64_t> end_offset_ns;
};

// "START..END", "START..", "..END": durations as SPEC.md writes them (a bare
// number is seconds, fractions allowed: "1.5..2.5", "30s..1m"). Anything else,
// or an end not after the start, is a usage error naming the text.
[[nodiscard]] Result<TimeWindow> parse_time_window(std::string_view text);

// The reader options that skip the chunks outside the window (its offsets
// are placed once the reader meets the metadata).
void set_read_window(ReadOptions& options, const TimeWindow& window);

// The last time any record of the capture speaks of: the end of a capture
// whose end record is missing (the recorder died, or the file was cut).
uint64_t last_data_ns(const Capture& capture);
// The capture's end: its end record's time, else the last data.
uint64_t capture_end_ns(const Capture& capture);

// A window placed on a capture, in monotonic ns, inside the capture's span.
struct PlacedWindow {
  uint64_t start_ns = 0;
  uint64_t end_ns = 0;
};

// The window clipped to [start, end] of the capture; a usage error naming the
// capture's span when no part of it lies inside.
[[nodiscard]] Result<PlacedWindow> place_window(const Capture& capture, const TimeWindow& window);

// Keeps the events inside [start_ns, end_ns): cpu samples whose time is in it;
// off-CPU intervals clipped to it (one half inside keeps half its time);
// accounting rows of a second partly inside with their counts prorated to the
// part inside (steal and throttled time stay per whole second, as analysis
// reads them); requests whose intended start is in it; a load run's stage
// spans clipped to it. Everything else (metadata, processes, maps, stacks,
// drops, end, the load run's summary and measured span) is kept.
void restrict_to_window(Capture& capture, const PlacedWindow& window);

}  // namespace loadprof::capture
