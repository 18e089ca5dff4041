// Duration and size parsing/formatting (SPEC.md units).
#include "loadprof/util/units.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <iterator>

namespace loadprof {
namespace {

Error bad(std::string_view what, std::string_view text) {
  return make_error(ErrorKind::usage, "invalid " + std::string(what) + " '" + std::string(text) + "'");
}

// Splits "12.5ms" into 12.5 and "ms". Rejects empty, negative, non-finite.
bool split_number(std::string_view text, double& number, std::string_view& suffix) {
  size_t i = 0;
  while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
  if (i == 0) return false;
  std::string num(text.substr(0, i));
  if (std::count(num.begin(), num.end(), '.') > 1) return false;
  char* end = nullptr;
  number = std::strtod(num.c_str(), &end);
  if (end != num.c_str() + num.size() || !std::isfinite(number)) return false;
  suffix = text.substr(i);
  return true;
}

// Duration units, largest first: a compound duration ("1h30m", "1m30s")
// names them in this order, each at most once.
struct DurationUnit {
  std::string_view suffix;
  double ns;
};
constexpr DurationUnit kDurationUnits[] = {{"h", 3600e9}, {"m", 60e9}, {"s", 1e9},
                                           {"ms", 1e6},   {"us", 1e3}, {"ns", 1}};
// Above this the value does not fit int64_t nanoseconds (about 292 years).
constexpr double kMaxDurationNs = 9.2e18;

Error bad_duration(std::string_view text, bool bare_is_ms) {
  return make_error(ErrorKind::usage, "invalid duration '" + std::string(text) +
                                          "' (accepted: 10s, 250ms, 1.5m, 1m30s, 1h30m; units h m s ms us "
                                          "ns, largest first; a bare number is " +
                                          (bare_is_ms ? "milliseconds)" : "seconds)"));
}

bool is_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// A bare number is one component without a unit; otherwise every component
// is NUMBER UNIT with units strictly decreasing ("1h30m", not "30m1h").
Result<int64_t> parse_duration(std::string_view text, double bare_unit_ns) {
  const bool bare_is_ms = bare_unit_ns == 1e6;
  double total_ns = 0;
  size_t pos = 0;
  int last_unit = -1;
  do {
    double n = 0;
    std::string_view rest;
    if (!split_number(text.substr(pos), n, rest)) return bad_duration(text, bare_is_ms);
    size_t letters = 0;
    while (letters < rest.size() && is_letter(rest[letters])) ++letters;
    const std::string_view suffix = rest.substr(0, letters);
    pos = text.size() - rest.size() + letters;
    double unit_ns = 0;
    if (suffix.empty()) {
      // "10" alone; not "1m30" (30 what?) and not "10 s".
      if (last_unit >= 0 || pos != text.size()) return bad_duration(text, bare_is_ms);
      unit_ns = bare_unit_ns;
    } else {
      int unit = -1;
      for (int u = 0; u < static_cast<int>(std::size(kDurationUnits)); ++u)
        if (kDurationUnits[u].suffix == suffix) unit = u;
      if (unit <= last_unit) return bad_duration(text, bare_is_ms);
      last_unit = unit;
      unit_ns = kDurationUnits[unit].ns;
    }
    total_ns += n * unit_ns;
    if (!(total_ns <= kMaxDurationNs)) return bad_duration(text, bare_is_ms);
  } while (pos < text.size());
  return static_cast<int64_t>(std::llround(total_ns));
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text) { return parse_duration(text, 1e9); }
Result<int64_t> parse_duration_ns_default_ms(std::string_view text) { return parse_duration(text, 1e6); }

Result<uint64_t> parse_size_bytes(std::string_view text) {
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix)) return bad("size", text);
  double unit = 0;
  if (suffix.empty() || suffix == "B")
    unit = 1;
  else if (suffix == "KiB")
    unit = 1024.0;
  else if (suffix == "MiB")
    unit = 1024.0 * 1024;
  else if (suffix == "GiB")
    unit = 1024.0 * 1024 * 1024;
  else
    return bad("size", text);
  double bytes = n * unit;
  if (bytes > 1.8e19) return bad("size", text);
  // Not llround: sizes above INT64_MAX (up to 1.8e19) would overflow it.
  return static_cast<uint64_t>(std::round(bytes));
}

Result<uint64_t> parse_uint(std::string_view text) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || p != text.data() + text.size()) return bad("number", text);
  return v;
}

Result<double> parse_double(std::string_view text) {
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix) || !suffix.empty()) return bad("number", text);
  return n;
}

std::string format_duration_ns(int64_t ns) {
  char buf[64];
  double v = static_cast<double>(ns);
  double a = std::fabs(v);
  if (a >= 3600e9)
    std::snprintf(buf, sizeof buf, "%.2fh", v / 3600e9);
  else if (a >= 60e9)
    std::snprintf(buf, sizeof buf, "%.2fm", v / 60e9);
  else if (a >= 1e9)
    std::snprintf(buf, sizeof buf, "%.2fs", v / 1e9);
  else if (a >= 1e6)
    std::snprintf(buf, sizeof buf, "%.2fms", v / 1e6);
  else if (a >= 1e3)
    std::snprintf(buf, sizeof buf, "%.2fus", v / 1e3);
  else
    std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  return buf;
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  double v = static_cast<double>(bytes);
  if (v >= 1024.0 * 1024 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f GiB", v / (1024.0 * 1024 * 1024));
  else if (v >= 1024.0 * 1024)
    std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024));
  else if (v >= 1024.0)
    std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

}  // namespace loadprof
