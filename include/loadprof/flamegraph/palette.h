// Frame colours: a palette per profile kind, the same colour for the same
// name in every graph (a deterministic hash of the name, not of the position
// or the run), kernel frames ("_[k]") in a hue of their own, and the
// red/blue scale of differential graphs.
#pragma once

#include <cstdint>
#include <string_view>

#include "loadprof/util/result.h"

namespace loadprof::flamegraph {

// The profile kinds of SPEC.md; each picks a palette and a count unit.
enum class Kind { cpu, offcpu, wall, io, alloc, alloc_live, wakers };

enum class Palette { hot, blue, aqua, green, kernel };

struct Rgb {
  uint8_t r = 0, g = 0, b = 0;
  bool operator==(const Rgb&) const = default;
};

// "cpu", "offcpu", "wall", "io", "alloc", "alloc-live", "wakers"; others -> ErrorKind::usage.
[[nodiscard]] Result<Kind> parse_kind(std::string_view text);
std::string_view kind_name(Kind kind);
// cpu, wall: hot (warm); offcpu: blue; io: aqua; alloc, alloc-live: green.
Palette palette_for(Kind kind);
// What the counts are: "samples" for cpu, "ns" for offcpu and wall, "bytes" for alloc.
std::string_view count_name_for(Kind kind);

// True for names ending in "_[k]" (kernel frames, as stackcollapse-perf marks them).
bool is_kernel_frame(std::string_view name);
// The colour of a frame: kernel frames use Palette::kernel whatever the kind.
Rgb frame_color(Palette palette, std::string_view name);
// 64-bit FNV-1a; the colour hash, exposed for tests.
uint64_t name_hash(std::string_view name);

// Differential colour: delta_pct > 0 (grew) is red, < 0 (shrank) blue, 0 near
// white; saturation is |delta_pct| / max_abs_delta_pct.
Rgb diff_color(double delta_pct, double max_abs_delta_pct);

}  // namespace loadprof::flamegraph
