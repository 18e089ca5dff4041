// Time windows of a capture: parse, place on the capture's span, cut.
#include "loadprof/capture/window.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "loadprof/util/units.h"

namespace loadprof::capture {
namespace {

constexpr uint64_t kSecondNs = 1000000000ULL;

Error bad_window(std::string_view text, const std::string& why) {
  return make_error(ErrorKind::usage, "--window '" + std::string(text) + "': " + why +
                                          " (expected START..END in seconds from the capture's start, "
                                          "like 30..45, 1.5.., ..10 or 30s..1m)");
}

std::string seconds_text(uint64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

Result<TimeWindow> parse_time_window(std::string_view text) {
  const size_t dots = text.find("..");
  if (dots == std::string_view::npos) return bad_window(text, "no '..'");
  const std::string_view start = text.substr(0, dots);
  const std::string_view end = text.substr(dots + 2);
  if (start.empty() && end.empty()) return bad_window(text, "neither a start nor an end");
  TimeWindow w;
  if (!start.empty()) {
    auto ns = parse_duration_ns(start);
    if (!ns.ok()) return bad_window(text, "start '" + std::string(start) + "' is not a duration");
    w.start_offset_ns = static_cast<uint64_t>(*ns);
  }
  if (!end.empty()) {
    auto ns = parse_duration_ns(end);
    if (!ns.ok()) return bad_window(text, "end '" + std::string(end) + "' is not a duration");
    w.end_offset_ns = static_cast<uint64_t>(*ns);
    if (*w.end_offset_ns <= w.start_offset_ns) return bad_window(text, "the end is not after the start");
  }
  return w;
}

void set_read_window(ReadOptions& options, const TimeWindow& window) {
  options.window_from_start = true;
  options.window_start_ns = window.start_offset_ns;
  options.window_end_ns = window.end_offset_ns.value_or(UINT64_MAX);
}

uint64_t last_data_ns(const Capture& c) {
  uint64_t last = c.metadata.start_monotonic_ns;
  for (const auto& s : c.cpu_samples) last = std::max(last, s.time_ns);
  for (const auto& o : c.offcpu) last = std::max(last, o.end_ns);
  for (const auto& r : c.io_syscalls) last = std::max(last, r.end_ns);
  for (const auto& r : c.io_devices) last = std::max(last, r.end_ns);
  for (const auto& e : c.allocs) last = std::max(last, e.time_ns);
  for (const auto& m : c.mmaps) last = std::max(last, m.end_ns);
  for (const auto& a : c.cpu_accounting) last = std::max(last, a.second_ns + kSecondNs);
  for (const auto& p : c.processes) {
    if (p.exit_ns) last = std::max(last, *p.exit_ns);
  }
  for (const auto& r : c.requests) last = std::max(last, r.end_ns);
  for (const auto& r : c.resources) last = std::max(last, r.time_ns);
  for (const auto& s : c.clock_sync) last = std::max(last, s.monotonic_ns);
  return last;
}

uint64_t capture_end_ns(const Capture& c) { return c.end ? c.end->end_ns : last_data_ns(c); }

Result<PlacedWindow> place_window(const Capture& c, const TimeWindow& window) {
  const uint64_t origin = c.metadata.start_monotonic_ns;
  const uint64_t end = std::max(origin, capture_end_ns(c));
  const uint64_t span_ns = end - origin;
  const uint64_t want_end = window.end_offset_ns.value_or(UINT64_MAX);
  if (window.start_offset_ns >= span_ns) {
    std::string asked = seconds_text(window.start_offset_ns) + ".." +
                        (window.end_offset_ns ? seconds_text(*window.end_offset_ns) : std::string());
    return make_error(ErrorKind::usage, "--window " + asked +
                                            " s lies outside the capture, which spans 0.00.." +
                                            seconds_text(span_ns) + " s");
  }
  PlacedWindow w;
  w.start_ns = origin + window.start_offset_ns;
  w.end_ns = origin + std::min(want_end, span_ns);
  return w;
}

void restrict_to_window(Capture& c, const PlacedWindow& w) {
  const auto inside = [&](uint64_t t) { return t >= w.start_ns && t < w.end_ns; };
  std::erase_if(c.cpu_samples, [&](const CpuSample& s) { return !inside(s.time_ns); });

  // Clipped in place, then compacted (remove_if's predicate may not modify).
  size_t kept = 0;
  for (OffCpuInterval& o : c.offcpu) {
    const uint64_t from = std::max(o.start_ns, w.start_ns);
    const uint64_t to = std::min(o.end_ns, w.end_ns);
    if (to <= from) continue;
    o.start_ns = from;
    o.end_ns = to;
    c.offcpu[kept++] = o;
  }
  c.offcpu.resize(kept);

  kept = 0;
  for (CpuAccounting& a : c.cpu_accounting) {
    const uint64_t from = std::max(a.second_ns, w.start_ns);
    const uint64_t to = std::min(a.second_ns + kSecondNs, w.end_ns);
    if (to <= from) continue;
    if (to - from < kSecondNs) {
      const double part = static_cast<double>(to - from) / static_cast<double>(kSecondNs);
      const auto prorate = [part](uint64_t n) {
        return static_cast<uint64_t>(std::llround(static_cast<double>(n) * part));
      };
      a.target = prorate(a.target);
      a.self = prorate(a.self);
      a.other = prorate(a.other);
      a.idle = prorate(a.idle);
      a.throttles = prorate(a.throttles);
    }
    c.cpu_accounting[kept++] = a;
  }
  c.cpu_accounting.resize(kept);

  std::erase_if(c.requests, [&](const RequestRecord& r) { return !inside(r.intended_start_ns); });
  // I/O records (a second's merged calls, or one slow call) that overlap the window.
  std::erase_if(c.io_syscalls,
                [&](const IoSyscallRecord& r) { return r.end_ns <= w.start_ns || r.start_ns >= w.end_ns; });
  std::erase_if(c.io_devices,
                [&](const IoDeviceRecord& r) { return r.end_ns <= w.start_ns || r.start_ns >= w.end_ns; });
  // Allocations and frees made in the window (the allocations chunk is read
  // whole: it also holds the probe's info). A free of a block allocated
  // before the window is dropped like one of a block made before the capture.
  std::erase_if(c.allocs, [&](const AllocEvent& e) { return !inside(e.time_ns); });
  // mmap/munmap/brk records (a second's merged calls) that overlap the window.
  std::erase_if(c.mmaps,
                [&](const MmapRecord& m) { return m.end_ns < w.start_ns || m.start_ns >= w.end_ns; });
  // Resource readings whose time falls in the window (a reading covers the second before it).
  std::erase_if(c.resources, [&](const ResourceSample& r) { return !inside(r.time_ns); });
  // Off-CPU wakers stay too (whole-capture sums).
  // Sockets stay: whole-capture figures (a window cannot split their round
  // trips), as the reader keeps them under a window.

  // A load run's stages are clipped to the window (one outside it ends where
  // it starts); its measured span stays as run: its time series counts from it.
  if (c.load) {
    for (auto& s : c.load->stages) {
      s.start_ns = std::clamp(s.start_ns, w.start_ns, w.end_ns);
      s.end_ns = std::clamp(s.end_ns, s.start_ns, w.end_ns);
    }
  }
}

}  // namespace loadprof::capture
