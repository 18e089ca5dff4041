// go tool pprof (Debian's golang-go) as the independent reader of our pprof
// export: runs `go tool pprof -top` and reads each function's flat share, or
// `-raw` and reads every sample's values and functions.
#pragma once

#include <unistd.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "report/schema_check.h"

namespace loadprof::testing {

// The go binary: on PATH, else Debian's /usr/lib/go/bin/go; "" when absent.
inline std::string go_binary() {
  if (run_command("command -v go >/dev/null").exit_code == 0) return "go";
  if (access("/usr/lib/go/bin/go", X_OK) == 0) return "/usr/lib/go/bin/go";
  return "";
}

struct PprofTop {
  int exit_code = -1;  // -1: no go tool
  std::string output;
  std::map<std::string, double> flat_pct;  // function (without pprof's " (inline)") -> flat %
};

// `go tool pprof -top` of a profile file; extra flags (e.g. "-sample_index=samples") before the file.
inline PprofTop go_pprof_top(const std::string& profile_path, const std::string& flags = "") {
  PprofTop top;
  const std::string go = go_binary();
  if (go.empty()) {
    top.output = "no go tool: run scripts/install-deps.sh (golang-go)";
    return top;
  }
  // HOME for pprof's own files; -nodefraction=0 so no function is dropped.
  auto r = run_command("HOME=${HOME:-/tmp} " + go + " tool pprof -top -nodefraction=0 -nodecount=1000 " +
                           flags + " '" + profile_path + "'",
                       /*merge_stderr=*/true);
  top.exit_code = r.exit_code;
  top.output = r.output;
  //       flat  flat%   sum%        cum   cum%
  //      1.30s 65.33% 65.33%      1.30s 65.33%  hot
  static const std::regex row(R"(^\s*\S+\s+(-?[0-9.]+)%\s+-?[0-9.]+%\s+\S+\s+-?[0-9.]+%\s+(.+?)\s*$)");
  std::istringstream lines(r.output);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line))
    if (std::regex_match(line, m, row)) {
      std::string name = m[2];
      const std::string inl = " (inline)";  // pprof marks functions seen only as inline lines
      if (name.size() > inl.size() && name.compare(name.size() - inl.size(), inl.size(), inl) == 0)
        name.resize(name.size() - inl.size());
      top.flat_pct[name] += std::stod(m[1]);
    }
  return top;
}

struct PprofRawSample {
  std::vector<int64_t> values;         // in sample_type order
  std::vector<std::string> functions;  // leaf first; a location's inline lines innermost first
};
struct PprofRaw {
  int exit_code = -1;  // -1: no go tool
  std::string output;
  std::vector<std::string> sample_types;  // "type/unit"
  std::vector<PprofRawSample> samples;
  // The sum of one value over all samples.
  int64_t total(size_t value_index) const {
    int64_t t = 0;
    for (const auto& s : samples) t += value_index < s.values.size() ? s.values[value_index] : 0;
    return t;
  }
};

// `go tool pprof -raw` of a profile file: pprof's own text dump of every
// sample (values, location ids) and location (its functions).
inline PprofRaw go_pprof_raw(const std::string& profile_path) {
  PprofRaw raw;
  const std::string go = go_binary();
  if (go.empty()) {
    raw.output = "no go tool: run scripts/install-deps.sh (golang-go)";
    return raw;
  }
  auto r = run_command("HOME=${HOME:-/tmp} " + go + " tool pprof -raw '" + profile_path + "'", true);
  raw.exit_code = r.exit_code;
  raw.output = r.output;
  //        300  300000000: 1 2 3
  //                 pid:[100] tid:[100]
  // Locations
  //      1: 0x403000 M=1 hot app.c:30:0 s=0
  //                      inl_helper app.h:5:0 s=0     (an inline line of the same location)
  static const std::regex location_row(R"(^\s*(\d+): 0x[0-9a-f]+(?: M=\d+)? (.+) \S*:\d+(?::\d+)? s=\d+\s*$)");
  static const std::regex line_row(R"(^\s+(.+) \S*:\d+(?::\d+)? s=\d+\s*$)");
  std::map<uint64_t, std::vector<std::string>> locations;
  std::vector<std::vector<uint64_t>> sample_locations;
  enum { head, types, samples, locs, other } section = head;
  uint64_t last_location = 0;
  std::istringstream lines(r.output);
  std::string line;
  std::smatch m;
  while (std::getline(lines, line)) {
    if (line == "Samples:") {
      section = types;
      continue;
    }
    if (line == "Locations") {
      section = locs;
      continue;
    }
    if (line == "Mappings") {
      section = other;
      continue;
    }
    if (section == types) {
      std::istringstream names(line);
      for (std::string t; names >> t;)  // the default one is marked "[dflt]"
        raw.sample_types.push_back(t.ends_with("[dflt]") ? t.substr(0, t.size() - 6) : t);
      section = samples;
    } else if (section == samples) {
      // "V1 V2: loc loc ..." (labels lines hold '[').
      const size_t colon = line.find(':');
      if (colon == std::string::npos || line.find('[') != std::string::npos) continue;
      PprofRawSample s;
      std::istringstream values(line.substr(0, colon));
      for (int64_t v; values >> v;) s.values.push_back(v);
      std::istringstream ids(line.substr(colon + 1));
      std::vector<uint64_t> locs_of;
      for (uint64_t id; ids >> id;) locs_of.push_back(id);
      if (s.values.size() != raw.sample_types.size()) continue;
      raw.samples.push_back(std::move(s));
      sample_locations.push_back(std::move(locs_of));
    } else if (section == locs) {
      if (std::regex_match(line, m, location_row)) {
        last_location = std::stoull(m[1]);
        locations[last_location].push_back(m[2]);
      } else if (std::regex_match(line, m, line_row) && last_location != 0) {
        locations[last_location].push_back(m[1]);
      }
    }
  }
  for (size_t i = 0; i < raw.samples.size(); ++i)
    for (uint64_t id : sample_locations[i])
      for (const auto& f : locations[id]) raw.samples[i].functions.push_back(f);
  return raw;
}

}  // namespace loadprof::testing

// After go_pprof_top: no go tool skips the test, or fails it where tools are
// required (LOADPROF_REQUIRE_TOOLS / LOADPROF_REQUIRE_BPF, as in CI).
#define LOADPROF_REQUIRE_GO_PPROF(top)                                                                \
  do {                                                                                                \
    if ((top).exit_code == -1) {                                                                      \
      if (::loadprof::testing::validator_required())                                                  \
        FAIL() << (top).output << " (required: LOADPROF_REQUIRE_TOOLS or LOADPROF_REQUIRE_BPF is 1)"; \
      GTEST_SKIP() << (top).output;                                                                   \
    }                                                                                                 \
    ASSERT_EQ((top).exit_code, 0) << (top).output;                                                    \
  } while (0)
