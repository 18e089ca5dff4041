// go tool pprof (Debian's golang-go) as the independent reader of our pprof
// export: runs `go tool pprof -top` and reads each function's flat share.
#pragma once

#include <unistd.h>

#include <map>
#include <regex>
#include <sstream>
#include <string>

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
