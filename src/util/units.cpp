// Duration and size parsing/formatting (SPEC.md units).
#include "loadprof/util/units.h"

#include <charconv>
#include <cmath>
#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace loadprof {
namespace {

Error bad(std::string_view what, std::string_view text) {
  return make_error(ErrorKind::usage,
                    "invalid " + std::string(what) + " '" + std::string(text) + "'");
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

Result<int64_t> parse_duration(std::string_view text, double bare_unit_ns) {
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix)) return bad("duration", text);
  double unit_ns = 0;
  if (suffix.empty()) unit_ns = bare_unit_ns;
  else if (suffix == "ns") unit_ns = 1;
  else if (suffix == "us") unit_ns = 1e3;
  else if (suffix == "ms") unit_ns = 1e6;
  else if (suffix == "s") unit_ns = 1e9;
  else if (suffix == "m") unit_ns = 60e9;
  else if (suffix == "h") unit_ns = 3600e9;
  else return bad("duration", text);
  double ns = n * unit_ns;
  if (ns > 9.2e18) return bad("duration", text);
  return static_cast<int64_t>(std::llround(ns));
}

}  // namespace

Result<int64_t> parse_duration_ns(std::string_view text) { return parse_duration(text, 1e9); }
Result<int64_t> parse_duration_ns_default_ms(std::string_view text) {
  return parse_duration(text, 1e6);
}

Result<uint64_t> parse_size_bytes(std::string_view text) {
  double n = 0;
  std::string_view suffix;
  if (!split_number(text, n, suffix)) return bad("size", text);
  double unit = 0;
  if (suffix.empty() || suffix == "B") unit = 1;
  else if (suffix == "KiB") unit = 1024.0;
  else if (suffix == "MiB") unit = 1024.0 * 1024;
  else if (suffix == "GiB") unit = 1024.0 * 1024 * 1024;
  else return bad("size", text);
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
  if (a >= 3600e9) std::snprintf(buf, sizeof buf, "%.2fh", v / 3600e9);
  else if (a >= 60e9) std::snprintf(buf, sizeof buf, "%.2fm", v / 60e9);
  else if (a >= 1e9) std::snprintf(buf, sizeof buf, "%.2fs", v / 1e9);
  else if (a >= 1e6) std::snprintf(buf, sizeof buf, "%.2fms", v / 1e6);
  else if (a >= 1e3) std::snprintf(buf, sizeof buf, "%.2fus", v / 1e3);
  else std::snprintf(buf, sizeof buf, "%lldns", static_cast<long long>(ns));
  return buf;
}

std::string format_bytes(uint64_t bytes) {
  char buf[64];
  double v = static_cast<double>(bytes);
  if (v >= 1024.0 * 1024 * 1024) std::snprintf(buf, sizeof buf, "%.1f GiB", v / (1024.0 * 1024 * 1024));
  else if (v >= 1024.0 * 1024) std::snprintf(buf, sizeof buf, "%.1f MiB", v / (1024.0 * 1024));
  else if (v >= 1024.0) std::snprintf(buf, sizeof buf, "%.1f KiB", v / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(bytes));
  return buf;
}

}  // namespace loadprof
