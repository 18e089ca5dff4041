// Validation of JSON documents against docs/report.schema.json (or another
// schema: speedscope's) with a real validator: Debian's python3-jsonschema through
// tests/report/validate_json.py.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace loadprof::testing {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr
};

// Runs command with sh; output = its stdout (and stderr unless the command redirects it).
inline CommandResult run_command(const std::string& command, bool merge_stderr = true) {
  CommandResult r;
  FILE* p = popen((merge_stderr ? command + " 2>&1" : command).c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

// The python3 that has jsonschema: Debian's /usr/bin/python3 (what
// install-deps.sh installs it for) first, then whatever python3 is on PATH.
inline std::string python_with_jsonschema() {
  for (const char* py : {"/usr/bin/python3", "python3"}) {
    if (run_command(std::string(py) + " -c 'import jsonschema'").exit_code == 0) return py;
  }
  return "";
}

inline std::string schema_path() { return std::string(LOADPROF_SOURCE_DIR) + "/docs/report.schema.json"; }

// A fresh directory under the build tree for the running test's files
// (named after the test, so tests running in parallel never share one).
inline std::filesystem::path test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  auto dir = std::filesystem::path(LOADPROF_BINARY_DIR) / "test-output" /
             (std::string(info->test_suite_name()) + "." + info->name());
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

// speedscope's published file-format schema, vendored (tests/report/speedscope/README.md).
inline std::string speedscope_schema_path() {
  return std::string(LOADPROF_SOURCE_DIR) + "/tests/report/speedscope/file-format-schema.json";
}

// Writes text to dir/name and validates it against schema: exit 0 valid, 1
// invalid (output names each error), 2 schema or file unreadable, -1 no validator.
inline CommandResult validate_json_text_against(const std::filesystem::path& dir, const std::string& name,
                                                const std::string& text, const std::string& schema) {
  const std::string py = python_with_jsonschema();
  if (py.empty()) return {-1, "no python3 with jsonschema: run scripts/install-deps.sh (python3-jsonschema)"};
  auto path = dir / name;
  std::ofstream(path) << text;
  return run_command(py + " " + LOADPROF_SOURCE_DIR + "/tests/report/validate_json.py " + schema + " " +
                     path.string());
}

// The same against docs/report.schema.json.
inline CommandResult validate_json_text(const std::filesystem::path& dir, const std::string& name,
                                        const std::string& text) {
  return validate_json_text_against(dir, name, text, schema_path());
}

// Whether a missing validator must fail the test rather than skip it: set by
// scripts/test.sh (LOADPROF_REQUIRE_TOOLS=1, after install-deps.sh installed
// python3-jsonschema) and whenever LOADPROF_REQUIRE_BPF=1 (CI, as root).
inline bool validator_required() {
  for (const char* name : {"LOADPROF_REQUIRE_TOOLS", "LOADPROF_REQUIRE_BPF"}) {
    const char* v = std::getenv(name);
    if (v && std::string(v) == "1") return true;
  }
  return false;
}

}  // namespace loadprof::testing

// After validate_json_text: no validator skips the test, or fails it where the
// validator is required (CI); otherwise the document must be valid.
#define LOADPROF_EXPECT_VALID_JSON(result)                                                                  \
  do {                                                                                                      \
    const auto& loadprof_v_ = (result);                                                                     \
    if (loadprof_v_.exit_code == -1) {                                                                      \
      if (::loadprof::testing::validator_required())                                                        \
        FAIL() << loadprof_v_.output << " (required: LOADPROF_REQUIRE_TOOLS or LOADPROF_REQUIRE_BPF is 1)"; \
      GTEST_SKIP() << loadprof_v_.output;                                                                   \
    }                                                                                                       \
    EXPECT_EQ(loadprof_v_.exit_code, 0) << loadprof_v_.output;                                              \
  } while (0)
