// check end to end: real bench captures of tests/programs/cpu_server on
// loopback, judged by `loadprof check` through the binary. A light run holds
// its SLO and agrees with the load summary's p99; a run whose second stage
// overloads a single connection breaks in stage 2 (and its windows there)
// while stage 1 holds; baselines are created, compared and written back;
// anything that is not a bench capture is bad input (exit 2); the baseline
// keeps its recent runs, so the same build passes and a planted slowdown fails.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "loadprof/capture/reader.h"
#include "support/privilege.h"
#include "support/run.h"

namespace loadprof {
namespace {

using nlohmann::json;
using testing::loadprof_binary;
using testing::run;
using testing::test_program;

std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

void spit(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

// One capture per scenario, shared by the tests of one ctest run (ctest runs
// each test in its own process, all children of one ctest): bench runs are
// the slow part. Made once per run, never reused from an earlier one.
class CheckE2e : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::string("/tmp/loadprof_check_e2e." + std::to_string(getppid()));
    std::filesystem::create_directories(*dir_);
  }
  static bool have(const std::string& path) { return std::filesystem::exists(path); }
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }

  // 3 s at 60 req/s of ~0.1 ms requests: every sane SLO holds.
  static const std::string& light() {
    static std::string path = *dir_ + "/light.lpc";
    if (!have(path)) {
      auto r = run({loadprof_binary(), "bench", "http://127.0.0.1:18371/api/items?work=2000", "--stages",
                    "3s:60", "--output", path, "--", test_program("cpu_server"), "--port", "18371"});
      EXPECT_EQ(r.exit_code, 0) << r.err;
      if (r.exit_code != 0) std::filesystem::remove(path);
    }
    return path;
  }

  // One connection, ~5 ms of CPU per request: 2 s at 20 req/s (10 % busy),
  // then 2 s at 800 req/s — four times what one connection can serve, so requests
  // queue and their latency from the intended send grows through stage 2.
  static const std::string& overloaded() {
    static std::string path = *dir_ + "/overloaded.lpc";
    if (!have(path)) {
      // bench judges kOverloadedSlo itself (its verdicts are in the capture's summary): broken, exit 1.
      auto r = run({loadprof_binary(), "bench", "http://127.0.0.1:18372/?work=200000", "--stages",
                    "2s:20,2s:800", "--connections", "1", "--slo", kOverloadedSlo, "--output", path, "--",
                    test_program("cpu_server"), "--port", "18372"});
      EXPECT_EQ(r.exit_code, 1) << r.err;
      if (r.exit_code != 1) std::filesystem::remove(path);
    }
    return path;
  }

  static constexpr const char* kOverloadedSlo = "p50<2000ms,p99<100ms,errors<1%,rps>100";
  static std::string* dir_;
};
std::string* CheckE2e::dir_ = nullptr;

TEST_F(CheckE2e, SloHeldExitsZeroAndP99MatchesTheLoadSummary) {
  // Terms this run holds even on a starved machine (the driver late by a
  // second, a few arrivals never sent): the verdict, not the machine, is tested.
  auto r = run({loadprof_binary(), "check", light(), "--slo", "p90<5s,errors<1%,rps>40", "--json", "-"});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_TRUE(j["ok"].get<bool>());
  ASSERT_EQ(j["slo"]["scopes"].size(), 1u);  // one stage: the whole run only
  const auto& terms = j["slo"]["scopes"][0]["terms"];
  ASSERT_EQ(terms.size(), 3u);
  // Throughput near the rate asked for; no errors.
  EXPECT_NEAR(terms[2]["value"].get<double>(), 60.0, 6.0);
  EXPECT_EQ(terms[1]["value"].get<double>(), 0.0);
  // The same p99 as the load summary recorded in the capture (same requests,
  // same histogram: equal within its 1/256 precision). Requests never sent
  // are in the summary's histogram (censored at their wait) and not in the
  // log: then check's p99 is a lower bound of the summary's.
  auto p99 = run({loadprof_binary(), "check", light(), "--slo", "p99<1h", "--json", "-"});
  json k = json::parse(p99.out);
  auto c = capture::read_capture(light());
  ASSERT_TRUE(c.ok());
  json summary = json::parse(c->load->summary_json);
  const double summary_p99 = summary["latency_ms"]["p99"].get<double>();
  const double check_p99 = k["slo"]["scopes"][0]["terms"][0]["value"].get<double>();
  EXPECT_GT(summary_p99, 0.0);
  if (k["never_completed"].get<uint64_t>() == 0)
    EXPECT_NEAR(check_p99, summary_p99, summary_p99 / 256 + 0.001);
  else
    EXPECT_LE(check_p99, summary_p99 * (1 + 1.0 / 256) + 0.001) << k["never_completed"] << " never completed";
  EXPECT_EQ(j["requests"].get<uint64_t>(), summary["requests"].get<uint64_t>());
}

TEST_F(CheckE2e, BrokenTermExitsOneAndIsNamed) {
  auto r = run({loadprof_binary(), "check", light(), "--slo", "p90<5s,rps>1000"});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.out.find("SLO BROKEN: rps>1000 (whole run)"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("p90<5s (whole run)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("check: FAIL"), std::string::npos) << r.out;
}

TEST_F(CheckE2e, StageTwoBreaksAndIsNamedWhileStageOneHolds) {
  auto r = run({loadprof_binary(), "check", overloaded(), "--slo", "p99<100ms", "--json", "-"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json j = json::parse(r.out);
  ASSERT_EQ(j["slo"]["scopes"].size(), 3u);
  const auto& s1 = j["slo"]["scopes"][1];
  const auto& s2 = j["slo"]["scopes"][2];
  EXPECT_EQ(s1["scope"], "stage 1");
  EXPECT_TRUE(s1["ok"].get<bool>()) << s1.dump();
  EXPECT_LT(s1["terms"][0]["value"].get<double>(), 100.0);
  EXPECT_EQ(s2["scope"], "stage 2");
  EXPECT_FALSE(s2["ok"].get<bool>()) << s2.dump();
  // Queueing for 2 s at four times the capacity: the tail waits hundreds of ms.
  EXPECT_GT(s2["terms"][0]["value"].get<double>(), 300.0);
  // --update fills an empty bottleneck from the profile: cpu_server's hashing
  // (handle_request -> render_page -> hash_block -> mix) is where its CPU goes.
  const std::string base = *dir_ + "/overloaded_baseline.json";
  std::filesystem::remove(base);
  auto u = run({loadprof_binary(), "check", overloaded(), "--baseline", base, "--update"});
  EXPECT_EQ(u.exit_code, 0) << u.out << u.err;
  const std::string bottleneck = json::parse(slurp(base))[0]["bottleneck"].get<std::string>();
  EXPECT_EQ(bottleneck.rfind("cpu: mix (", 0), 0u) << bottleneck;
  auto t = run({loadprof_binary(), "check", overloaded(), "--slo", "p99<100ms"});
  EXPECT_NE(t.out.find("p99<100ms (stage 2)"), std::string::npos) << t.out;
  EXPECT_EQ(t.out.find("p99<100ms (stage 1)"), std::string::npos) << t.out;
}

// The requests the overloaded run never sent are not in the request log; the
// load driver counted them as censored. check judges them the same way: its
// whole-run verdicts are bench's own, term by term. About three quarters of
// stage 2's arrivals are never sent, over half of the run's: p50 falls among
// them (unknown: broken, a lower bound) although the logged requests' p50 is
// under 2 s.
TEST_F(CheckE2e, WholeRunVerdictsAreTheLoadDriversOwnWithUnsentRequests) {
  auto r = run({loadprof_binary(), "check", overloaded(), "--slo", kOverloadedSlo, "--json", "-"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json j = json::parse(r.out);
  EXPECT_GT(j["never_completed"].get<uint64_t>(), j["requests"].get<uint64_t>()) << r.out;
  auto c = capture::read_capture(overloaded());
  ASSERT_TRUE(c.ok());
  json bench_slo = json::parse(c->load->summary_json)["slo"];
  const auto& terms = j["slo"]["scopes"][0]["terms"];
  ASSERT_EQ(bench_slo.size(), 4u);
  ASSERT_EQ(terms.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(terms[i]["term"], bench_slo[i]["term"]);
    EXPECT_EQ(terms[i]["ok"], bench_slo[i]["ok"]) << terms[i].dump() << " vs " << bench_slo[i].dump();
    EXPECT_EQ(terms[i]["lower_bound"].get<bool>(), bench_slo[i].value("lower_bound", false))
        << terms[i].dump() << " vs " << bench_slo[i].dump();
  }
  EXPECT_FALSE(terms[0]["ok"].get<bool>());
  EXPECT_TRUE(terms[0]["lower_bound"].get<bool>());
  EXPECT_LT(terms[0]["value"].get<double>(), 2000.0);  // the logged requests' p50: a lower bound
  // rps and errors count completed requests, as the summary does.
  EXPECT_NEAR(terms[3]["value"].get<double>(), bench_slo[3]["value"].get<double>(), 0.01);
}

TEST_F(CheckE2e, WindowedTermNamesTheWorstWindowAndCountsTheBrokenOnes) {
  // 4 s in 1 s windows: the two of stage 1 hold, stage 2's queue breaks the later ones.
  auto r = run({loadprof_binary(), "check", overloaded(), "--slo", "p99<100ms@1s", "--json", "-"});
  ASSERT_EQ(r.exit_code, 1) << r.out << r.err;
  json j = json::parse(r.out);
  const auto& whole = j["slo"]["scopes"][0]["terms"][0];
  EXPECT_EQ(whole["windows"].get<int>(), 4) << whole.dump();
  EXPECT_GE(whole["windows_failed"].get<int>(), 1) << whole.dump();
  EXPECT_LE(whole["windows_failed"].get<int>(), 2) << whole.dump();
  EXPECT_GE(whole["worst_window_s"][0].get<double>(), 2.0) << whole.dump();
  EXPECT_GT(whole["value"].get<double>(), 300.0);
  // Stage 1 alone: both its windows hold.
  const auto& s1 = j["slo"]["scopes"][1]["terms"][0];
  EXPECT_TRUE(s1["ok"].get<bool>()) << s1.dump();
  EXPECT_EQ(s1["windows"].get<int>(), 2) << s1.dump();
  // On the light run every window holds.
  auto ok = run({loadprof_binary(), "check", light(), "--slo", "p90<5s@1s"});
  EXPECT_EQ(ok.exit_code, 0) << ok.out << ok.err;
  EXPECT_NE(ok.out.find("0 of 3 windows broken"), std::string::npos) << ok.out;
}

TEST_F(CheckE2e, BaselineCreatedComparedAndARegressionFails) {
  const std::string base = *dir_ + "/baselines.json";
  std::remove(base.c_str());
  // Without --update a missing file is bad input.
  auto missing = run({loadprof_binary(), "check", light(), "--baseline", base});
  EXPECT_EQ(missing.exit_code, 2) << missing.err;
  // --update creates it: one entry, the URL's path.
  auto created = run({loadprof_binary(), "check", light(), "--baseline", base, "--update"});
  ASSERT_EQ(created.exit_code, 0) << created.out << created.err;
  json b = json::parse(slurp(base));
  ASSERT_TRUE(b.is_array());
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["name"], "/api/items");
  EXPECT_EQ(b[0]["status"], "pass");
  EXPECT_EQ(b[0]["last_tested"].get<std::string>().size(), 10u);  // YYYY-MM-DD
  const double p95 = b[0]["current_p95_ms"].get<double>();
  EXPECT_GT(p95, 0.0);
  EXPECT_NEAR(b[0]["throughput_rps"].get<double>(), 60.0, 6.0);
  // The same capture against its own figures: no regression.
  auto same = run({loadprof_binary(), "check", light(), "--baseline", base});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  // A baseline three times faster (and cheaper), the team's own keys kept: a regression,
  // named with its figures; --update keeps the old bar and marks it failed.
  b[0]["current_p95_ms"] = p95 / 3;
  b[0]["current_p99_ms"] = b[0]["current_p99_ms"].get<double>() / 3;
  // ... and three times cheaper: on a shared machine only a grown CPU per request counts.
  for (auto& r : b[0]["recent_runs"]) r["cpu_ms_per_request"] = r["cpu_ms_per_request"].get<double>() / 3;
  b[0]["bottleneck"] = "db pool";
  b[0]["owner"] = "team-a";
  spit(base, b.dump(2));
  auto reg = run({loadprof_binary(), "check", light(), "--baseline", base, "--update"});
  EXPECT_EQ(reg.exit_code, 1) << reg.out << reg.err;
  EXPECT_NE(reg.out.find("/api/items: p95 "), std::string::npos) << reg.out;
  json after = json::parse(slurp(base));
  EXPECT_EQ(after[0]["status"], "fail");
  EXPECT_DOUBLE_EQ(after[0]["current_p95_ms"].get<double>(), p95 / 3);
  EXPECT_EQ(after[0]["owner"], "team-a");
  EXPECT_EQ(after[0]["bottleneck"], "db pool");
  // The entry's SLO: a p95 above slo_p95_ms fails even at a threshold no regression reaches.
  after[0]["current_p95_ms"] = p95;
  after[0]["current_p99_ms"] = nullptr;
  after[0]["slo_p95_ms"] = p95 / 10;
  spit(base, after.dump(2));
  auto slo = run({loadprof_binary(), "check", light(), "--baseline", base, "--threshold", "1000"});
  EXPECT_EQ(slo.exit_code, 1) << slo.out;
  EXPECT_NE(slo.out.find("above its SLO"), std::string::npos) << slo.out;
}

// A scenario's steps are baseline entries of their own, named as in the
// scenario, with the figures the load summary gives each step.
TEST_F(CheckE2e, ScenarioStepsAreBaselineEntriesWithTheSummarysFigures) {
  const std::string scenario = *dir_ + "/two_steps.json", cap = *dir_ + "/scenario.lpc",
                    base = *dir_ + "/steps.json";
  spit(scenario, R"({"base_url": "http://127.0.0.1:18374", "steps": [
      {"name": "cheap", "path": "/cheap?work=1000"}, {"name": "heavy", "path": "/heavy?work=100000"}]})");
  auto r = run({loadprof_binary(), "bench", "--scenario", scenario, "--stages", "2s:30", "--output", cap,
                "--", test_program("cpu_server"), "--port", "18374"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::filesystem::remove(base);
  auto u = run({loadprof_binary(), "check", cap, "--baseline", base, "--update"});
  ASSERT_EQ(u.exit_code, 0) << u.out << u.err;
  json b = json::parse(slurp(base));
  ASSERT_EQ(b.size(), 2u) << b.dump();
  EXPECT_EQ(b[0]["name"], "cheap");
  EXPECT_EQ(b[1]["name"], "heavy");
  auto c = capture::read_capture(cap);
  ASSERT_TRUE(c.ok());
  json steps = json::parse(c->load->summary_json)["scenario"]["steps"];
  for (size_t i = 0; i < 2; ++i) {
    const double want = steps[i]["latency_ms"]["p50"].get<double>();
    EXPECT_NEAR(b[i]["current_p50_ms"].get<double>(), want, want / 256 + 0.001) << b[i].dump();
  }
  // ~2.8 ms of hashing against ~0.03 ms: the heavy step is the slow one.
  EXPECT_GT(b[1]["current_p50_ms"].get<double>(), 3 * b[0]["current_p50_ms"].get<double>()) << b.dump();
}

TEST_F(CheckE2e, BadInputExitsTwo) {
  const std::string text = *dir_ + "/not_a_capture.lpc";
  spit(text, "hello\n");
  auto r = run({loadprof_binary(), "check", text, "--slo", "p99<1s"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  // A capture without a load run: an imported profile.
  const std::string folded = *dir_ + "/a.folded", imported = *dir_ + "/imported.lpc";
  spit(folded, "main;work 10\n");
  auto imp = run({loadprof_binary(), "import", folded, "--from", "folded", "--output", imported});
  ASSERT_EQ(imp.exit_code, 0) << imp.err;
  auto none = run({loadprof_binary(), "check", imported, "--slo", "p99<1s"});
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.err.find(imported + " has no load data (record captures have none; use bench)"),
            std::string::npos)
      << none.err;
  EXPECT_EQ(run({loadprof_binary(), "check", light(), "--slo", "p99<<1s"}).exit_code, 2);
  EXPECT_EQ(run({loadprof_binary(), "check", light(), "--slo", "p99<1s@"}).exit_code, 2);
  EXPECT_EQ(run({loadprof_binary(), "check", light()}).exit_code, 2);  // neither --slo nor --baseline
  EXPECT_EQ(run({loadprof_binary(), "check", light(), "--update", "--slo", "p99<1s"}).exit_code, 2);
  const std::string bad_base = *dir_ + "/bad.json";
  spit(bad_base, "{\"x\": 1}");
  auto b = run({loadprof_binary(), "check", light(), "--baseline", bad_base});
  EXPECT_EQ(b.exit_code, 2);
  EXPECT_NE(b.err.find("not a baseline"), std::string::npos) << b.err;
}

// docs/CI.md's shell example, with short stages: the first run starts the
// baseline, the second compares with it and diffs the profiles (same build:
// the gate passes), a third with an SLO this server cannot meet fails it and
// leaves the baseline as it was. The threshold is wide: 3 s runs of ~0.6 ms
// requests on this shared 2-CPU machine moved p95 from 0.85 to 1.81 ms
// between two runs of the same build (load average 6-12; docs/CI.md); what is
// tested here is the script, the regression rule is tested above.
TEST_F(CheckE2e, CiExampleScriptGatesAndKeepsItsBaseline) {
  const std::string work = *dir_ + "/ci";
  std::filesystem::remove_all(work);
  const std::string script = std::string(LOADPROF_SOURCE_DIR) + "/scripts/ci_example.sh";
  auto gate = [&](const std::string& slo) {
    return run({"env", "LOADPROF=" + loadprof_binary(), "SERVER=" + test_program("cpu_server"), "PORT=18373",
                "STAGES=2s:40,1s:80", "THRESHOLD=1000", "SLO=" + slo, "BASELINE_DIR=" + work + "/baseline",
                "OUT=" + work + "/out", "bash", script});
  };
  auto first = gate("p90<5s@1s,errors<1%");
  ASSERT_EQ(first.exit_code, 0) << first.out << first.err;
  EXPECT_NE(first.out.find("no baseline yet"), std::string::npos) << first.out;
  json b = json::parse(slurp(work + "/baseline/baselines.json"));
  ASSERT_EQ(b.size(), 1u);
  EXPECT_EQ(b[0]["name"], "/api/items");
  EXPECT_EQ(b[0]["status"], "pass");
  EXPECT_TRUE(std::filesystem::exists(work + "/baseline/last.lpc"));

  auto second = gate("p90<5s@1s,errors<1%");
  EXPECT_EQ(second.exit_code, 0) << second.out << second.err;
  EXPECT_NE(second.out.find("== diff against the last baseline capture"), std::string::npos) << second.out;
  EXPECT_TRUE(std::filesystem::exists(work + "/out/diff/diff.json"));
  json verdicts = json::parse(slurp(work + "/out/baseline.json"));
  EXPECT_TRUE(verdicts["baseline"]["entries"][0]["in_baseline"].get<bool>());

  const std::string kept = slurp(work + "/baseline/baselines.json");
  auto third = gate("p50<1us");
  EXPECT_EQ(third.exit_code, 1) << third.out << third.err;
  EXPECT_NE(third.out.find("SLO BROKEN: p50<1us (whole run)"), std::string::npos) << third.out;
  EXPECT_NE(third.out.find("performance gate: FAIL"), std::string::npos) << third.out;
  EXPECT_EQ(slurp(work + "/baseline/baselines.json"), kept);
}

// Two --update runs of the same build keep their figures (recent_runs, with
// the service's CPU per request); a third run of the same build passes; a
// run whose requests do 10x the work (~4 ms of CPU instead of ~0.4) fails
// with p95 or p99 named, its CPU per request ~10x the recent runs'. The
// threshold is 300 %: on this shared 2-CPU VM a second 3 s run of the same
// build tripled p95 (0.77 -> 2.20 ms) with other processes under 20 % of its
// CPU, and a full local run on 2026-11-30 saw p99 1.75 -> 4.77 ms (+173 %,
// its lower 95 % bound +115 %; the driver's own schedule lag p99 0.6 -> 2.6
// ms: the machine, not the service), while 10x the work moves p95 by ~+600 %
// (lower bound +590 %). Two stored runs hold little spread; what is tested is
// that the file keeps the runs and their CPU, and that the gate fails 10x the
// work.
TEST_F(CheckE2e, BaselineKeepsRecentRunsSoTheSameBuildPassesAndASlowdownFails) {
  const char* kThreshold = "300";
  const std::string base = *dir_ + "/recent.json";
  std::remove(base.c_str());
  auto bench = [&](const std::string& name, int work) {
    const std::string path = *dir_ + "/recent_" + name + ".lpc";
    auto r =
        run({loadprof_binary(), "bench", "http://127.0.0.1:18375/api/items?work=" + std::to_string(work),
             "--stages", "4s:100", "--output", path, "--", test_program("cpu_server"), "--port", "18375"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return path;
  };
  for (const char* name : {"first", "second"}) {
    auto u = run({loadprof_binary(), "check", bench(name, 20000), "--baseline", base, "--update",
                  "--threshold", kThreshold});
    ASSERT_EQ(u.exit_code, 0) << u.out << u.err;
  }
  json b = json::parse(slurp(base));
  ASSERT_EQ(b[0]["recent_runs"].size(), 2u) << b.dump(1);
  std::vector<double> costs;
  for (const auto& r : b[0]["recent_runs"]) {
    ASSERT_TRUE(r["cpu_ms_per_request"].is_number()) << r.dump();
    costs.push_back(r["cpu_ms_per_request"].get<double>());
    EXPECT_GT(costs.back(), 0.05) << r.dump();
    EXPECT_LT(costs.back(), 5.0) << r.dump();
  }
  auto same = run({loadprof_binary(), "check", bench("same", 20000), "--baseline", base, "--threshold",
                   kThreshold, "--json", "-"});
  EXPECT_EQ(same.exit_code, 0) << same.out << same.err;
  const json sj = json::parse(same.out);
  const json& se = sj["baseline"]["entries"][0];
  EXPECT_EQ(se["recent_runs"], 2);
  EXPECT_NEAR(se["cpu_ms_per_request"].get<double>(), (costs[0] + costs[1]) / 2,
              (costs[0] + costs[1]) / 2 * 0.25)
      << sj.dump(1);

  auto slow =
      run({loadprof_binary(), "check", bench("slow", 200000), "--baseline", base, "--threshold", kThreshold});
  EXPECT_EQ(slow.exit_code, 1) << slow.out << slow.err;
  EXPECT_TRUE(slow.out.find("/api/items: p95 ") != std::string::npos ||
              slow.out.find("/api/items: p99 ") != std::string::npos)
      << slow.out;
  auto slow_json = run({loadprof_binary(), "check", *dir_ + "/recent_slow.lpc", "--baseline", base,
                        "--threshold", kThreshold, "--json", "-"});
  const json slow_doc = json::parse(slow_json.out);
  const json& sl = slow_doc["baseline"]["entries"][0];
  const double ratio = sl["cpu_ms_per_request"].get<double>() / ((costs[0] + costs[1]) / 2);
  std::printf("CPU per request: recent runs %.3f, %.3f ms; same build %.3f ms; 10x work %.3f ms (x%.1f)\n",
              costs[0], costs[1], se["cpu_ms_per_request"].get<double>(),
              sl["cpu_ms_per_request"].get<double>(), ratio);
  EXPECT_GT(ratio, 6.0);
  EXPECT_LT(ratio, 14.0);
}

}  // namespace
}  // namespace loadprof
