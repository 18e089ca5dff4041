// The body of the unit parsers' fuzz target, shared with the corpus replay
// test. The input goes through parse_duration_ns (bare seconds and bare ms),
// parse_size_bytes, parse_uint and parse_double. An accepted value must agree
// with the number times the unit (for a compound duration such as "1h30m", the
// sum of its parts, units strictly decreasing) computed here in double
// precision, re-parse to itself, and survive format -> parse within the format's precision. A
// rejection is a usage error whose one-line message quotes the input.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "loadprof/util/units.h"

#ifndef LOADPROF_FUZZ_CHECK
#define LOADPROF_FUZZ_CHECK(cond)                                                             \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                                           \
    }                                                                                         \
  } while (0)
#endif

inline void fuzz_units_check_error(const loadprof::Error& e, std::string_view text) {
  LOADPROF_FUZZ_CHECK(e.kind == loadprof::ErrorKind::usage);
  LOADPROF_FUZZ_CHECK(!e.message.empty());
  LOADPROF_FUZZ_CHECK(e.message.find("'" + std::string(text) + "'") != std::string::npos);
  LOADPROF_FUZZ_CHECK(text.find('\n') != std::string_view::npos || e.message.find('\n') == std::string::npos);
}

// The number before the first of `suffixes` that ends the text, times its
// unit; NAN when none fits (the parser must have rejected it then).
inline double fuzz_units_expected(std::string_view text, const std::pair<const char*, double>* units,
                                  size_t n_units, double bare_unit, double* unit_out = nullptr) {
  std::string_view num = text;
  double unit = bare_unit;
  size_t best = 0;
  for (size_t i = 0; i < n_units; ++i) {
    std::string_view s = units[i].first;
    if (s.size() > best && text.size() >= s.size() && text.substr(text.size() - s.size()) == s &&
        text.size() > s.size() &&
        (text[text.size() - s.size() - 1] == '.' ||
         (text[text.size() - s.size() - 1] >= '0' && text[text.size() - s.size() - 1] <= '9'))) {
      best = s.size();
      num = text.substr(0, text.size() - s.size());
      unit = units[i].second;
    }
  }
  std::string copy(num);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (copy.empty() || end != copy.c_str() + copy.size()) return NAN;
  if (unit_out) *unit_out = unit;
  return v * unit;
}

// A compound duration ("1h30m", "1m30s"): split where a letter meets a digit
// or '.', each part NUMBER UNIT, units strictly decreasing; the sum of the
// parts in text order. NAN when the text is not of that shape. One part is
// the plain case above.
inline double fuzz_duration_expected(std::string_view text, const std::pair<const char*, double>* units,
                                     size_t n_units, double bare_unit) {
  auto letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  auto number = [](char c) { return (c >= '0' && c <= '9') || c == '.'; };
  double sum = 0, last_unit = INFINITY;
  size_t start = 0, parts = 0;
  for (size_t i = 1; i <= text.size(); ++i) {
    if (i < text.size() && !(letter(text[i - 1]) && number(text[i]))) continue;
    std::string_view part = text.substr(start, i - start);
    start = i;
    ++parts;
    if (parts == 1 && i == text.size()) return fuzz_units_expected(part, units, n_units, bare_unit);
    double unit = NAN;
    double v = fuzz_units_expected(part, units, n_units, NAN, &unit);
    if (!(unit < last_unit)) return NAN;
    last_unit = unit;
    sum += v;
  }
  return sum;
}

inline bool fuzz_units_close(double got, double want) {
  return std::fabs(got - want) <= std::max(1.0, std::fabs(want) * 1e-12);
}

inline void fuzz_units(const uint8_t* data, size_t size) {
  using namespace loadprof;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  static const std::pair<const char*, double> kDurations[] = {{"ns", 1},  {"us", 1e3}, {"ms", 1e6},
                                                              {"s", 1e9}, {"m", 60e9}, {"h", 3600e9}};
  static const std::pair<const char*, double> kSizes[] = {
      {"B", 1}, {"KiB", 1024.0}, {"MiB", 1024.0 * 1024}, {"GiB", 1024.0 * 1024 * 1024}};

  for (double bare : {1e9, 1e6}) {
    auto d = bare == 1e9 ? parse_duration_ns(text) : parse_duration_ns_default_ms(text);
    if (!d) {
      fuzz_units_check_error(d.error(), text);
      continue;
    }
    LOADPROF_FUZZ_CHECK(*d >= 0);
    LOADPROF_FUZZ_CHECK(
        fuzz_units_close(static_cast<double>(*d), fuzz_duration_expected(text, kDurations, 6, bare)));
    auto again = parse_duration_ns(std::to_string(*d) + "ns");
    LOADPROF_FUZZ_CHECK(again.ok() && *again == *d);
    // Formatting rounds to two decimals, which can lift the largest values over the parse limit.
    if (*d > 9'000'000'000'000'000'000) continue;
    std::string shown = format_duration_ns(*d);
    auto back = parse_duration_ns(shown);
    LOADPROF_FUZZ_CHECK(back.ok());
    LOADPROF_FUZZ_CHECK(std::fabs(static_cast<double>(*back) - static_cast<double>(*d)) <=
                        static_cast<double>(*d) * 0.005 + 1);
  }

  auto bytes = parse_size_bytes(text);
  if (!bytes) {
    fuzz_units_check_error(bytes.error(), text);
  } else {
    LOADPROF_FUZZ_CHECK(
        fuzz_units_close(static_cast<double>(*bytes), fuzz_units_expected(text, kSizes, 4, 1)));
    auto again = parse_size_bytes(std::to_string(*bytes));
    LOADPROF_FUZZ_CHECK(again.ok() && *again == *bytes);
    LOADPROF_FUZZ_CHECK(!format_bytes(*bytes).empty());
  }

  auto u = parse_uint(text);
  if (!u) {
    fuzz_units_check_error(u.error(), text);
  } else {
    for (char c : text) LOADPROF_FUZZ_CHECK(c >= '0' && c <= '9');
    auto again = parse_uint(std::to_string(*u));
    LOADPROF_FUZZ_CHECK(again.ok() && *again == *u);
  }

  auto x = parse_double(text);
  if (!x) {
    fuzz_units_check_error(x.error(), text);
  } else {
    LOADPROF_FUZZ_CHECK(std::isfinite(*x) && *x >= 0);
    LOADPROF_FUZZ_CHECK(fuzz_units_close(*x, fuzz_units_expected(text, nullptr, 0, 1)));
  }
}
