// Palettes per kind and the differential scale (see palette.h).
#include "loadprof/flamegraph/palette.h"

#include <algorithm>
#include <cmath>

namespace loadprof::flamegraph {
namespace {

uint8_t channel(double base, double span, double v) {
  return static_cast<uint8_t>(std::lround(base + span * v));
}

}  // namespace

Result<Kind> parse_kind(std::string_view text) {
  if (text == "cpu") return Kind::cpu;
  if (text == "offcpu") return Kind::offcpu;
  if (text == "wall") return Kind::wall;
  if (text == "io") return Kind::io;
  if (text == "alloc") return Kind::alloc;
  if (text == "alloc-live") return Kind::alloc_live;
  if (text == "wakers") return Kind::wakers;
  return make_error(ErrorKind::usage, "unknown kind '" + std::string(text) +
                                          "' (cpu, offcpu, wall, io, alloc, alloc-live, wakers)");
}

std::string_view kind_name(Kind kind) {
  switch (kind) {
    case Kind::cpu:
      return "cpu";
    case Kind::offcpu:
      return "offcpu";
    case Kind::wall:
      return "wall";
    case Kind::io:
      return "io";
    case Kind::alloc:
      return "alloc";
    case Kind::alloc_live:
      return "alloc-live";
    case Kind::wakers:
      return "wakers";
  }
  return "cpu";
}

Palette palette_for(Kind kind) {
  switch (kind) {
    case Kind::cpu:
    case Kind::wall:
      return Palette::hot;
    case Kind::offcpu:
    case Kind::wakers:
      return Palette::blue;
    case Kind::io:
      return Palette::aqua;
    case Kind::alloc:
    case Kind::alloc_live:
      return Palette::green;
  }
  return Palette::hot;
}

std::string_view count_name_for(Kind kind) {
  switch (kind) {
    case Kind::cpu:
      return "samples";
    case Kind::offcpu:
    case Kind::wall:
    case Kind::wakers:
      return "ns";
    case Kind::io:
      return "ns";
    case Kind::alloc:
    case Kind::alloc_live:
      return "bytes";
  }
  return "samples";
}

bool is_kernel_frame(std::string_view name) { return name.ends_with("_[k]"); }

uint64_t name_hash(std::string_view name) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : name) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

Rgb frame_color(Palette palette, std::string_view name) {
  if (is_kernel_frame(name)) palette = Palette::kernel;
  uint64_t h = name_hash(name);
  // Three independent values in [0, 1] from different bits of the hash.
  double v1 = static_cast<double>(h & 0xffff) / 65535.0;
  double v2 = static_cast<double>((h >> 16) & 0xffff) / 65535.0;
  double v3 = static_cast<double>((h >> 32) & 0xffff) / 65535.0;
  switch (palette) {
    case Palette::hot:
      return {channel(205, 50, v3), channel(0, 230, v1), channel(0, 55, v2)};
    case Palette::blue:
      return {channel(80, 60, v1), channel(80, 60, v1), channel(190, 55, v2)};
    case Palette::aqua:
      return {channel(50, 60, v1), channel(165, 55, v1), channel(165, 55, v2)};
    case Palette::green:
      return {channel(0, 80, v1), channel(160, 70, v2), channel(0, 60, v3)};
    case Palette::kernel:
      return {channel(150, 45, v1), channel(120, 40, v1), channel(210, 45, v2)};
  }
  return {};
}

Rgb diff_color(double delta_pct, double max_abs_delta_pct) {
  double t = 0;
  if (max_abs_delta_pct > 0) t = std::clamp(std::fabs(delta_pct) / max_abs_delta_pct, 0.0, 1.0);
  uint8_t strong = channel(220, 35, t);
  uint8_t weak = channel(220, -220, t);
  if (delta_pct > 0) return {strong, weak, weak};
  if (delta_pct < 0) return {weak, weak, strong};
  return {220, 220, 220};
}

}  // namespace loadprof::flamegraph
