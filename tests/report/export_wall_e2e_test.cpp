// The wall and wakers stack exports end to end, real BPF: `loadprof record
// --probes cpu,offcpu --offcpu-wakers` on tests/programs/waits, then `loadprof
// report --format pprof|speedscope --kind wall|wakers`. go tool pprof -raw
// (the real reader) must hold the folded output's total of the same kind and
// its weight per stack; the lock thread's waits must show, in pprof, the
// holder's loop (hold_loop, futex_wake) above "--wakes--" and the waiter's
// loop below its reason, for the blocked time the program measured itself
// (±25 %); speedscope's file validates against its schema and its weights
// sum to the folded total.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>

#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "report/go_pprof.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;
using json = nlohmann::json;
namespace capture = loadprof::capture;

namespace {

class ExportWallE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

uint64_t folded_total(const std::vector<capture::FoldedLine>& lines) {
  uint64_t t = 0;
  for (const auto& l : lines) t += l.count;
  return t;
}

// The index of the first function containing name at or after from, or npos.
size_t find_function(const std::vector<std::string>& functions, const std::string& name, size_t from = 0) {
  for (size_t i = from; i < functions.size(); ++i)
    if (functions[i].find(name) != std::string::npos) return i;
  return std::string::npos;
}

TEST_F(ExportWallE2E, WallAndWakersExportsHoldTheFoldedTotalsAndTheUnlockSite) {
  const std::string dir = loadprof::testing::temp_dir();
  const std::string cap = dir + "/cap.lpc";
  auto rec = run({loadprof_binary(), "record", "--probes", "cpu,offcpu", "--offcpu-wakers", "--output", cap,
                  "--", test_program("waits"), "block", "3", dir});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto truth = loadprof::testing::ground_truth_lines(rec.out, "waits");
  auto c = capture::read_capture(cap);
  ASSERT_TRUE(c.ok()) << c.error().message;

  for (const std::string kind : {"wall", "wakers"}) {
    SCOPED_TRACE(kind);
    auto folded = capture::folded_stacks(*c, kind);
    ASSERT_TRUE(folded.ok());
    const uint64_t total_ns = folded_total(*folded);
    ASSERT_GT(total_ns, 1'000'000'000u);  // 3 s of four waiting threads: seconds of wall and of waker time

    const std::string pb = dir + "/" + kind + ".pb.gz";
    auto exported =
        run({"/bin/sh", "-c",
             loadprof_binary() + " report " + cap + " --format pprof --kind " + kind + " > " + pb});
    ASSERT_EQ(exported.exit_code, 0) << exported.err;
    auto raw = loadprof::testing::go_pprof_raw(pb);
    LOADPROF_REQUIRE_GO_PPROF(raw);
    ASSERT_EQ(raw.sample_types.size(), 2u) << raw.output.substr(0, 2000);
    EXPECT_EQ(raw.sample_types[1], kind == "wall" ? "wall/nanoseconds" : "blocked/nanoseconds");
    EXPECT_EQ(static_cast<uint64_t>(raw.total(1)), total_ns);
    std::printf("%-6s folded total %.1f ms, pprof %.1f ms in %zu samples\n", kind.c_str(), total_ns / 1e6,
                raw.total(1) / 1e6, raw.samples.size());

    if (kind == "wall") {
      // Each reason's leaf frame holds the folded output's time for it.
      std::map<std::string, int64_t> pprof_leaf, folded_leaf;
      for (const auto& s : raw.samples)
        if (!s.functions.empty() && s.functions.front().starts_with("[offcpu:"))
          pprof_leaf[s.functions.front()] += s.values[1];
      for (const auto& l : *folded) {
        const size_t last = l.stack.rfind(';');
        const std::string leaf = l.stack.substr(last == std::string::npos ? 0 : last + 1);
        if (leaf.starts_with("[offcpu:")) folded_leaf[leaf] += static_cast<int64_t>(l.count);
      }
      EXPECT_EQ(pprof_leaf, folded_leaf);
      EXPECT_GT(pprof_leaf["[offcpu:lock]"], 0);
      EXPECT_GT(pprof_leaf["[offcpu:pipe]"], 0);
    } else {
      // The lock thread's waits woken by the holder: pprof's stacks are leaf
      // first, so the waker's loop comes before "--wakes--", the waiter's after.
      uint32_t lock_tid = 0;
      double truth_ms = 0;
      for (auto& line : truth)
        if (line["role"] == "lock") {
          lock_tid = static_cast<uint32_t>(std::stoul(line["tid"]));
          truth_ms = std::stod(line["blocked_ns"]) / 1e6;
        }
      ASSERT_NE(lock_tid, 0u) << rec.out;
      double at_unlock_ms = 0;
      for (const auto& s : raw.samples) {
        const size_t wakes = find_function(s.functions, "--wakes--");
        if (wakes == std::string::npos) continue;
        const size_t holder = find_function(s.functions, "hold_loop");
        const size_t wake = find_function(s.functions, "futex_wake");
        if (holder < wakes && wake < wakes &&
            find_function(s.functions, "[offcpu:lock]", wakes) == wakes + 1 &&
            find_function(s.functions, "lock_loop", wakes) != std::string::npos)
          at_unlock_ms += s.values[1] / 1e6;
      }
      std::printf(
          "lock thread blocked %.1f ms measured, %.1f ms under hold_loop --wakes-- lock_loop in pprof\n",
          truth_ms, at_unlock_ms);
      EXPECT_NEAR(at_unlock_ms, truth_ms, 0.25 * truth_ms);
    }

    auto ss = run({loadprof_binary(), "report", cap, "--format", "speedscope", "--kind", kind});
    ASSERT_EQ(ss.exit_code, 0) << ss.err;
    LOADPROF_EXPECT_VALID_JSON(loadprof::testing::validate_json_text_against(
        dir, kind + ".speedscope.json", ss.out, loadprof::testing::speedscope_schema_path()));
    const json doc = json::parse(ss.out);
    uint64_t weights = 0;
    for (const auto& p : doc["profiles"]) {
      EXPECT_EQ(p["unit"], "nanoseconds");
      for (const auto& w : p["weights"]) weights += w.get<uint64_t>();
    }
    EXPECT_EQ(weights, total_ns);
  }
}

}  // namespace
