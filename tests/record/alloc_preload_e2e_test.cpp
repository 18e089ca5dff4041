// The alloc probe's preload path end to end: `loadprof record --probes alloc
// -- tests/programs/leaky...` launches the program with libloadprof_alloc.so
// preloaded (no uprobes). Every allocation comes back under its own function
// with the bytes the program asked for (period 0), or within the Poisson
// sampler's bound (a program built without frame pointers: libunwind reads
// its CFI); the leaking function is the first leak suspect and the first
// bottleneck; a program linked against jemalloc is profiled through jemalloc,
// one with its own malloc in the executable is named and said to be out of
// reach; Ctrl-C, and a target killed by SIGKILL in a child of the command,
// still leave a capture whose report finds the leak.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

// Folded weight of the lines whose leaf frame is `function`.
uint64_t leaf_weight(const std::vector<capture::FoldedLine>& lines, const std::string& function) {
  uint64_t sum = 0;
  const std::string suffix = ";" + function;
  for (const auto& l : lines) {
    if (l.stack.size() >= suffix.size() &&
        l.stack.compare(l.stack.size() - suffix.size(), suffix.size(), suffix) == 0)
      sum += l.count;
  }
  return sum;
}

struct Recorded {
  loadprof::testing::RunResult record;
  std::map<std::string, std::string> truth;
  capture::Capture capture;
  nlohmann::json report;
  std::string report_text;
  std::string dir;
};

// record --probes alloc FLAGS -- COMMAND; the program's GROUND_TRUTH line comes
// through loadprof's stdout (the command inherits it).
Recorded record_launched(const std::vector<std::string>& flags, const std::vector<std::string>& command,
                         int sigint_after_ms = -1) {
  Recorded r;
  r.dir = loadprof::testing::temp_dir();
  const std::string path = r.dir + "/alloc.lpc";
  std::vector<std::string> argv = {loadprof_binary(), "record", "--probes", "alloc", "--output", path};
  argv.insert(argv.end(), flags.begin(), flags.end());
  argv.push_back("--");
  argv.insert(argv.end(), command.begin(), command.end());
  r.record = run(argv, sigint_after_ms, 2);
  for (const char* program : {"leaky", "alloc_threads"}) {
    auto lines = loadprof::testing::ground_truth_lines(r.record.out, program);
    if (lines.size() == 1) r.truth = lines[0];
  }
  auto cap = capture::read_capture(path);
  EXPECT_TRUE(cap.ok()) << (cap.ok() ? "" : cap.error().message);
  if (cap.ok()) r.capture = std::move(*cap);
  auto rep = run({loadprof_binary(), "report", path, "--output-dir", r.dir + "/out"});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  std::ifstream json(r.dir + "/out/report.json");
  if (json) r.report = nlohmann::json::parse(json, nullptr, false);
  std::ostringstream text;
  text << std::ifstream(r.dir + "/out/report.json").rdbuf();
  r.report_text = text.str();
  return r;
}

uint64_t truth(const Recorded& r, const std::string& key) { return std::stoull(r.truth.at(key)); }

// The leak is the first suspect (at the program's rate within ±25 % when
// rate_bytes_per_s > 0) and the first bottleneck; balanced_work is neither.
void expect_leak_first(const Recorded& r, double rate_bytes_per_s) {
  ASSERT_TRUE(r.report.is_object());
  const auto& leaks = r.report["leaks"];
  ASSERT_TRUE(leaks.is_array());
  ASSERT_FALSE(leaks.empty()) << r.report["alloc"].dump();
  EXPECT_EQ(leaks[0]["frame"], "leak_some") << leaks.dump();
  for (const auto& l : leaks) EXPECT_NE(l["frame"], "balanced_work") << leaks.dump();
  if (rate_bytes_per_s > 0) {
    const double growth = leaks[0]["growth_bytes_per_s"].get<double>();
    std::printf("leak growth %.0f B/s (R^2 %.3f) vs %.0f B/s measured\n", growth,
                leaks[0]["r2"].get<double>(), rate_bytes_per_s);
    EXPECT_NEAR(growth, rate_bytes_per_s, 0.25 * rate_bytes_per_s);
  }
  ASSERT_FALSE(r.report["bottlenecks"].empty()) << r.report["verdict"].dump();
  EXPECT_EQ(r.report["bottlenecks"][0]["kind"], "leak") << r.report["bottlenecks"].dump(1);
  EXPECT_EQ(r.report["bottlenecks"][0]["frame"], "leak_some") << r.report["bottlenecks"].dump(1);
}

class AllocPreloadE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(AllocPreloadE2E, EveryAllocationUnderItsFunctionAndTheLeakFirst) {
  Recorded r = record_launched({"--alloc-sample", "0"}, {test_program("leaky"), "3"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  ASSERT_FALSE(r.truth.empty()) << "no ground truth: " << r.record.out;
  ASSERT_TRUE(r.capture.alloc_info.has_value());
  EXPECT_EQ(r.capture.alloc_info->method, "preload");
  EXPECT_EQ(r.capture.alloc_info->allocator, "glibc");
  EXPECT_EQ(r.capture.alloc_info->sample_period_bytes, 0u);
  for (const auto& [reason, n] : r.capture.drops["alloc"]) {
    if (reason != "free_of_unknown_address" && reason != "stack_truncated") {
      EXPECT_EQ(n, 0u) << reason;
    }
  }
  auto alloc_lines = capture::folded_stacks(r.capture, "alloc", "bytes");
  ASSERT_TRUE(alloc_lines.ok());
  EXPECT_EQ(leaf_weight(*alloc_lines, "leak_some"), truth(r, "leak_bytes"));
  EXPECT_EQ(leaf_weight(*alloc_lines, "balanced_work"), truth(r, "balanced_bytes"));
  EXPECT_EQ(leaf_weight(*alloc_lines, "calloc_work"), truth(r, "calloc_bytes"));
  EXPECT_EQ(leaf_weight(*alloc_lines, "realloc_work"),
            truth(r, "realloc_from_bytes") + truth(r, "realloc_to_bytes"));
  uint64_t callocs = 0, reallocs = 0;
  for (const auto& e : r.capture.allocs) {
    if (e.is_free) continue;
    callocs += e.fn == capture::AllocFn::calloc;
    reallocs += e.fn == capture::AllocFn::realloc;
  }
  EXPECT_EQ(callocs, truth(r, "calloc_calls") + 1);  // + main's calloc of the list of leaked blocks
  EXPECT_EQ(reallocs, truth(r, "realloc_calls"));
  // Every call counted: the rounds' bytes plus the 64 x 2048 B made before
  // them, within 2 % (libc's and the loader's own allocations beside them).
  const double total = static_cast<double>(truth(r, "total_bytes") + 64 * 2048);
  std::printf("allocated %llu B in %llu calls (program: %.0f B)\n",
              static_cast<unsigned long long>(r.capture.alloc_info->allocated_bytes),
              static_cast<unsigned long long>(r.capture.alloc_info->allocations), total);
  EXPECT_NEAR(static_cast<double>(r.capture.alloc_info->allocated_bytes), total, 0.02 * total);

  auto live_lines = capture::folded_stacks(r.capture, "alloc-live", "bytes");
  ASSERT_TRUE(live_lines.ok());
  EXPECT_EQ(leaf_weight(*live_lines, "leak_some"), truth(r, "leak_bytes"));
  EXPECT_EQ(leaf_weight(*live_lines, "balanced_work"), truth(r, "balanced_live_bytes"));
  EXPECT_EQ(leaf_weight(*live_lines, "calloc_work"), 0u);
  EXPECT_EQ(leaf_weight(*live_lines, "realloc_work"), 0u);

  {
    LOADPROF_EXPECT_VALID_JSON(
        loadprof::testing::validate_json_text(r.dir, "report.checked.json", r.report_text));
  }
  EXPECT_EQ(r.report["alloc"]["method"], "preload");
  expect_leak_first(
      r, static_cast<double>(truth(r, "leak_bytes")) / (static_cast<double>(truth(r, "work_ns")) / 1e9));
}

// Sampled by bytes (Poisson, mean 8 KiB) in a program built without frame
// pointers: each function's bytes within 4 standard deviations of the
// estimator (N calls of s bytes, each sampled with p = 1 - exp(-s/period):
// relative sd = sqrt((1 - p) / (N p))), the counts of every call exact, and the
// leak still first.
TEST_F(AllocPreloadE2E, SampledByBytesInAProgramWithoutFramePointers) {
  const uint64_t period = 8192;
  Recorded r = record_launched({"--alloc-sample", std::to_string(period)}, {test_program("leaky_nofp"), "4"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  ASSERT_FALSE(r.truth.empty()) << "no ground truth: " << r.record.out;
  ASSERT_TRUE(r.capture.alloc_info.has_value());
  EXPECT_EQ(r.capture.alloc_info->sample_period_bytes, period);
  EXPECT_LT(r.capture.alloc_info->sampled, r.capture.alloc_info->allocations / 2);
  const double total = static_cast<double>(truth(r, "total_bytes") + 64 * 2048);
  EXPECT_NEAR(static_cast<double>(r.capture.alloc_info->allocated_bytes), total, 0.02 * total);
  auto lines = capture::folded_stacks(r.capture, "alloc", "bytes");
  ASSERT_TRUE(lines.ok());
  const double n = static_cast<double>(truth(r, "rounds"));
  struct Case {
    const char* function;
    double size;
    double truth_bytes;
  };
  const Case cases[] = {
      {"leak_some", 1024, static_cast<double>(truth(r, "leak_bytes"))},
      {"balanced_work", 4096, static_cast<double>(truth(r, "balanced_bytes"))},
      {"calloc_work", 1024, static_cast<double>(truth(r, "calloc_bytes"))},
  };
  for (const Case& c : cases) {
    const double p = -std::expm1(-c.size / static_cast<double>(period));
    const double sd = std::sqrt((1 - p) / (n * p));
    const double got = static_cast<double>(leaf_weight(*lines, c.function));
    std::printf("%s: %.0f B estimated vs %.0f B allocated (%.1f %%, bound %.1f %%)\n", c.function, got,
                c.truth_bytes, 100 * (got / c.truth_bytes - 1), 400 * sd);
    EXPECT_NEAR(got, c.truth_bytes, 4 * sd * c.truth_bytes) << c.function;
  }
  EXPECT_EQ(r.report["alloc"]["sample_period_bytes"], period);
  expect_leak_first(r, 0);
}

// A program linked against Debian's jemalloc: the library calls jemalloc (the
// next malloc after ours), the report names it, the bytes are exact. A
// program with its own malloc in the executable: LD_PRELOAD cannot come before
// it; nothing crashes, the report names its allocator and loadprof says why
// nothing was recorded.
TEST_F(AllocPreloadE2E, JemallocLinkedAndAProgramsOwnMalloc) {
  const std::string jemalloc_program = test_program("leaky_jemalloc");
  if (access(jemalloc_program.c_str(), X_OK) == 0) {
    Recorded r = record_launched({"--alloc-sample", "0"}, {jemalloc_program, "2"});
    ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
    ASSERT_FALSE(r.truth.empty()) << "no ground truth: " << r.record.out;
    ASSERT_TRUE(r.capture.alloc_info.has_value());
    EXPECT_EQ(r.capture.alloc_info->allocator, "jemalloc");
    EXPECT_EQ(r.report["alloc"]["allocator"], "jemalloc");
    auto lines = capture::folded_stacks(r.capture, "alloc", "bytes");
    ASSERT_TRUE(lines.ok());
    EXPECT_EQ(leaf_weight(*lines, "leak_some"), truth(r, "leak_bytes"));
    EXPECT_EQ(leaf_weight(*lines, "calloc_work"), truth(r, "calloc_bytes"));
    expect_leak_first(r, 0);
  } else if (loadprof::testing::validator_required()) {
    ADD_FAILURE() << jemalloc_program << " missing: apt-get install libjemalloc2 and rebuild";
  } else {
    std::printf("%s missing: the jemalloc case is not run\n", jemalloc_program.c_str());
  }
  Recorded own = record_launched({"--alloc-sample", "0"}, {test_program("leaky_own"), "1"});
  ASSERT_EQ(own.record.exit_code, 0) << own.record.err;
  ASSERT_FALSE(own.truth.empty()) << "no ground truth: " << own.record.out;
  ASSERT_TRUE(own.capture.alloc_info.has_value());
  EXPECT_EQ(own.capture.alloc_info->allocator, "own (leaky_own)");
  EXPECT_EQ(own.capture.alloc_info->allocations, 0u);
  EXPECT_NE(own.record.err.find("executable's own"), std::string::npos) << own.record.err;
}

// Ctrl-C in the middle of a long run, and a target killed by SIGKILL: it is
// the child of `timeout`, exec'd with the inherited LD_PRELOAD and ring (the
// preload path follows fork and exec). Both captures read, and the leak is
// found first.
TEST_F(AllocPreloadE2E, CtrlCAndAKilledChildLeaveAValidCapture) {
  {
    SCOPED_TRACE("Ctrl-C");
    Recorded r = record_launched({"--alloc-sample", "4096"}, {test_program("leaky"), "30"}, 2500);
    EXPECT_NE(r.record.exit_code, 4) << r.record.err;
    ASSERT_TRUE(r.capture.alloc_info.has_value());
    EXPECT_GT(r.capture.alloc_info->sampled, 0u);
    ASSERT_TRUE(r.capture.end.has_value());
    expect_leak_first(r, 0);
  }
  {
    SCOPED_TRACE("SIGKILL");
    Recorded r = record_launched({"--alloc-sample", "4096"},
                                 {"timeout", "-s", "KILL", "2.5", test_program("leaky"), "30"});
    ASSERT_TRUE(r.capture.alloc_info.has_value());
    EXPECT_GE(r.capture.alloc_info->allocations, 300u);  // leaky's ~180 rounds a second, 4 calls each
    ASSERT_TRUE(r.capture.end.has_value());
    expect_leak_first(r, 0);
  }
}

// Four threads allocating at once (each claims its own counter slot and
// sampler): every call counted exactly, each function's bytes within the
// sampler's bound.
TEST_F(AllocPreloadE2E, ThreadsAreCountedExactlyAndSampledWithinTheBound) {
  const uint64_t period = 65536;
  Recorded r = record_launched({"--alloc-sample", "64KiB"}, {test_program("alloc_threads"), "4", "200000", "1"});
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  ASSERT_FALSE(r.truth.empty()) << "no ground truth: " << r.record.out;
  ASSERT_TRUE(r.capture.alloc_info.has_value());
  const uint64_t threads = truth(r, "threads"), pairs = truth(r, "pairs"), keep = truth(r, "keep");
  const uint64_t calls = threads * (pairs + keep);
  // Every call: the program's, plus a few of libc's own (stdio buffer, thread start-up).
  EXPECT_GE(r.capture.alloc_info->allocations, calls);
  EXPECT_LE(r.capture.alloc_info->allocations, calls + 100);
  EXPECT_GE(r.capture.alloc_info->frees + r.capture.alloc_info->frees_unknown, threads * pairs);
  for (const auto& [reason, n] : r.capture.drops["alloc"]) {
    if (reason != "free_of_unknown_address" && reason != "stack_truncated") {
      EXPECT_EQ(n, 0u) << reason;
    }
  }
  auto lines = capture::folded_stacks(r.capture, "alloc", "bytes");
  ASSERT_TRUE(lines.ok());
  const double size = static_cast<double>(truth(r, "size"));
  const double p = -std::expm1(-size / static_cast<double>(period));
  struct Case {
    const char* function;
    double calls, bytes;
  };
  const Case cases[] = {
      {"thread_alloc", static_cast<double>(threads * pairs), static_cast<double>(truth(r, "alloc_bytes"))},
      {"thread_keep", static_cast<double>(threads * keep), static_cast<double>(truth(r, "keep_bytes"))}};
  for (const Case& c : cases) {
    const double sd = std::sqrt((1 - p) / (c.calls * p));
    const double got = static_cast<double>(leaf_weight(*lines, c.function));
    std::printf("%s: %.0f B estimated vs %.0f B allocated (%.1f %%, bound %.1f %%)\n", c.function, got,
                c.bytes, 100 * (got / c.bytes - 1), 400 * sd);
    EXPECT_NEAR(got, c.bytes, 4 * sd * c.bytes) << c.function;
  }
}

}  // namespace
