// Report writers over the hand-built capture of tests/analyze/sample_capture.h:
// the Markdown lines, the JSON figures, and validation of report.json against
// docs/report.schema.json with a real validator (which must also reject broken documents).
#include <gtest/gtest.h>

#include <functional>
#include <sstream>

#include "analyze/sample_capture.h"
#include "loadprof/analyze/analysis.h"
#include "loadprof/report/flamegraph_svg.h"
#include "loadprof/report/json.h"
#include "loadprof/report/markdown.h"
#include "loadprof/util/version.h"
#include "report/schema_check.h"

namespace loadprof::report {
namespace {

using nlohmann::ordered_json;
using testing::sample_capture;

analyze::Analysis analysis_of(const capture::Capture& c) {
  auto r = analyze::analyze(c);
  EXPECT_TRUE(r.ok());
  return r.ok() ? std::move(r).value() : analyze::Analysis{};
}

std::string markdown_of(const capture::Capture& c) {
  std::ostringstream out;
  write_markdown(out, analysis_of(c));
  return out.str();
}

std::string json_text_of(const capture::Capture& c) {
  std::ostringstream out;
  write_json(out, analysis_of(c));
  return out.str();
}

void expect_line(const std::string& text, const std::string& line) {
  EXPECT_NE(text.find("\n" + line + "\n"), std::string::npos) << "missing line: " << line << "\nin:\n"
                                                              << text;
}

TEST(Markdown, HeaderProcessesSamplesLost) {
  const std::string md = markdown_of(sample_capture());
  EXPECT_EQ(md.rfind("# loadprof report\n", 0), 0u);
  expect_line(md, "- Host: testhost (kernel 6.18.0)");
  expect_line(md, "- Probes: cpu; cpu sampling at 99 Hz; unwinding: fp");
  expect_line(md, "- Duration: 4.00 s; ended by: target exited");
  expect_line(md, "| 100 | `prog` | +0.00 s | exit code 0 at +3.50 s |");
  expect_line(md, "| 101 | `child` | +1.00 s | killed by signal 9 at +2.25 s |");
  // prog's exit ended the capture: not "mid-capture" (the last line says when).
  EXPECT_EQ(md.find("- pid 100 (`prog`) exited mid-capture"), std::string::npos) << md;
  expect_line(md, "- pid 101 (`child`) exited mid-capture at +2.25 s, killed by signal 9.");
  expect_line(md, "- Every target process had exited at +3.50 s.");
  expect_line(md, "| cpu | 100 |");
  expect_line(md, "cpu samples without a stack: 5; with a truncated stack: 10.");
  expect_line(md, "| cpu | ringbuf_full | 3 |");
  // A truncated stack is not a loss: it is under stack quality, not in the Lost table.
  EXPECT_EQ(md.find("| cpu | stack_truncated |"), std::string::npos);
  expect_line(md, "- Cut by the unwinder (an address outside the code): 10 (10.53 %)");
  EXPECT_EQ(md.find("Warning"), std::string::npos);
  EXPECT_EQ(md.find("Interrupted"), std::string::npos);
}

TEST(Markdown, AccountingFunctionsStacks) {
  const std::string md = markdown_of(sample_capture());
  expect_line(md, "| 0 | 179 | 2 | 9 | 10 | 10 | 0 | 0 | 89.50 % | 1.00 % | 4.50 % | 5.00 % | 0.00 % |");
  expect_line(md, "| 1 | 21 | 0 | 30 | 149 | 149 | 0 | 0 | 10.50 % | 0.00 % | 15.00 % | 74.50 % | 0.00 % |");
  expect_line(md,
              "| all | 200 | 2 | 39 | 159 | 159 | 0 | 0 | 50.00 % | 0.50 % | 9.75 % | 39.75 % | 0.00 % |");
  expect_line(md, "| 0.00 | 100 | 1 | 39 | 60 | 60 | 0 | 0 | 50.00 % | 70.00 % | 80.00 % |");
  expect_line(md, "| 1.00 | 100 | 1 | 0 | 99 | 99 | 0 | 0 | 50.00 % | 50.50 % | 99.00 % |");
  // By self: hot first; by total: main first, rec at 10 % (recursion counted once).
  expect_line(md, "| 1 | `hot` | `prog` | 55.00 % | 55 | 55.00 % | 55 |");
  expect_line(md, "| 3 | `do_syscall_64_[k]` | `[kernel]` | 10.00 % | 10 | 10.00 % | 10 |");
  expect_line(md, "| 1 | `main` | `prog` | 95.00 % | 95 | 0.00 % | 0 |");
  expect_line(md, "| 7 | `rec` | `prog` | 10.00 % | 10 | 10.00 % | 10 |");
  expect_line(md, "1. 50.00 % (50 samples): `prog;main;work;hot`");
  expect_line(md, "3. 10.00 % (10 samples), truncated: `prog;main;read;do_syscall_64_[k]`");
  expect_line(md, "5. 5.00 % (5 samples): `child;main;work;hot`");
  // Self section comes before total section.
  EXPECT_LT(md.find("## Top functions by self time"), md.find("## Top functions by total time"));
}

TEST(Markdown, TruncatedInterruptedAndNothingLost) {
  auto c = sample_capture();
  c.end->interrupted = true;
  c.end->reason = "interrupted";
  c.read_info.truncated = true;
  c.read_info.damage_offset = 4096;
  c.read_info.damage = "zstd frame damaged";
  c.drops.clear();
  c.stacks[3].truncated = false;
  c.cpu_accounting.clear();
  const std::string md = markdown_of(c);
  // The warning comes before everything else but the title.
  EXPECT_EQ(
      md.rfind("# loadprof report\n\n> **Warning:** capture truncated at offset 4096 (zstd frame damaged): "
               "this report covers the data before it\n",
               0),
      0u);
  expect_line(md, "- Interrupted (Ctrl-C / SIGTERM): the results so far");
  expect_line(md, "Nothing was lost (stack quality is in its own section).");
  expect_line(md, "The capture holds no per-CPU accounting.");
}

// The idle estimate fires (fewer samples than the frequency asks): the report
// says it shows the estimate and keeps the counted idle, steal and throttled apart.
TEST(Json, IdleCountedAndEstimatedStayApart) {
  auto c = sample_capture();
  c.metadata.frequency_hz = 100;
  capture::CpuAccounting r{testing::kStartNs, 0, 50, 0, 0, 10, 150'000'000, 2, 50'000'000};
  c.cpu_accounting = {r};
  const ordered_json j = ordered_json::parse(json_text_of(c));
  const auto& acc = j["cpu_accounting"];
  EXPECT_EQ(acc["idle_shown"], "estimated");
  const auto& cpu = acc["cpus"][0];
  EXPECT_EQ(cpu["idle_counted"], 10);
  EXPECT_EQ(cpu["idle_estimated"], 30);
  EXPECT_EQ(cpu["idle"], 30);
  EXPECT_EQ(cpu["steal"], 15);
  EXPECT_EQ(cpu["throttled"], 5);
  EXPECT_EQ(cpu["throttles"], 2);
  EXPECT_EQ(cpu["expected"], 100);
  EXPECT_DOUBLE_EQ(cpu["idle_pct"].get<double>(), 30.0);
  EXPECT_DOUBLE_EQ(cpu["steal_pct"].get<double>(), 15.0);
  EXPECT_EQ(acc["per_second"][0]["idle_counted"], 10);
  EXPECT_EQ(acc["per_second"][0]["idle_estimated"], 30);
  const std::string md = markdown_of(c);
  expect_line(
      md,
      "| cpu | target | loadprof | other | idle (estimated) | idle counted | steal | throttled | target % | "
      "loadprof % | other % | idle % | steal % |");
  expect_line(md, "| 0 | 50 | 0 | 0 | 30 | 10 | 15 | 5 | 50.00 % | 0.00 % | 0.00 % | 30.00 % | 15.00 % |");
  expect_line(md, "The kernel throttled the cpu-clock event 2 times.");
}

TEST(Markdown, NamesThatBreakTablesAreEscaped) {
  auto c = sample_capture();
  c.frames[2].function = "operator|<std::vector<int>>";
  const std::string md = markdown_of(c);
  expect_line(md, "| 1 | `operator\\|<std::vector<int>>` | `prog` | 55.00 % | 55 | 55.00 % | 55 |");
  expect_line(md, "1. 50.00 % (50 samples): `prog;main;work;operator|<std::vector<int>>`");
}

TEST(Json, SpecKeysAndFigures) {
  const ordered_json j = ordered_json::parse(json_text_of(sample_capture()));
  EXPECT_EQ(j.begin().key(), "loadprof_version");
  EXPECT_EQ(j["loadprof_version"], kVersion);
  EXPECT_EQ(j["interrupted"], false);
  EXPECT_DOUBLE_EQ(j["duration_s"].get<double>(), 4.0);
  const auto& procs = j["target"]["processes"];
  ASSERT_EQ(procs.size(), 2u);
  EXPECT_EQ(procs[0]["pid"], 100);
  EXPECT_EQ(procs[0]["command"], "prog");
  EXPECT_EQ(procs[0]["exit_status"], ordered_json({{"code", 0}}));
  EXPECT_DOUBLE_EQ(procs[0]["exit_s"].get<double>(), 3.5);
  EXPECT_EQ(procs[1]["exit_status"], ordered_json({{"signal", 9}}));
  // Probes that did not run are null, not 0.
  EXPECT_EQ(j["samples"],
            ordered_json({{"cpu", 100}, {"offcpu", nullptr}, {"io", nullptr}, {"alloc", nullptr}}));
  EXPECT_EQ(j["lost"]["cpu"]["ringbuf_full"], 3);
  EXPECT_EQ(j["lost"]["cpu"]["stack_truncated"], 10);
  EXPECT_DOUBLE_EQ(j["cpu_accounting"]["cpus"][0]["target_pct"].get<double>(), 89.5);
  EXPECT_DOUBLE_EQ(j["cpu_accounting"]["all"]["other_pct"].get<double>(), 9.75);
  EXPECT_EQ(j["cpu_accounting"]["per_second"].size(), 2u);
  EXPECT_EQ(j["top_functions"]["by_self"][0]["name"], "hot");
  EXPECT_DOUBLE_EQ(j["top_functions"]["by_self"][0]["self_pct"].get<double>(), 55.0);
  EXPECT_EQ(j["top_functions"]["by_total"][0]["name"], "main");
  EXPECT_DOUBLE_EQ(j["top_functions"]["by_total"][0]["total_pct"].get<double>(), 95.0);
  EXPECT_EQ(j["top_stacks"][0]["folded"], "prog;main;work;hot");
  EXPECT_EQ(j["top_stacks"][0]["samples"], 50);
  EXPECT_EQ(j["capture"]["truncated"], false);
  EXPECT_TRUE(j["capture"]["damage_offset"].is_null());
  EXPECT_EQ(j["capture"]["end_reason"], "target exited");
  // No load data in the capture: SPEC says the load keys are omitted.
  for (const char* key :
       {"requests", "errors", "latency_ms", "throughput_rps", "stages", "timeseries", "slo"}) {
    EXPECT_FALSE(j.contains(key)) << key;
  }
}

TEST(Json, RunningProcessHasNullExitStatus) {
  auto c = sample_capture();
  c.processes[0].exit_ns.reset();
  c.processes[0].exit_signal.reset();
  const ordered_json j = ordered_json::parse(json_text_of(c));
  EXPECT_TRUE(j["target"]["processes"][1]["exit_status"].is_null());
  EXPECT_TRUE(j["target"]["processes"][1]["exit_s"].is_null());
}

TEST(Json, NonUtf8NamesDoNotThrow) {
  auto c = sample_capture();
  c.frames[2].function = std::string("hot\xff\xfe", 5);
  const ordered_json j = ordered_json::parse(json_text_of(c));
  EXPECT_EQ(j["top_functions"]["by_self"][0]["name"], "hot\xEF\xBF\xBD\xEF\xBF\xBD");  // U+FFFD twice
}

class Schema : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::test_dir(); }
  testing::CommandResult validate(const std::string& text) {
    return testing::validate_json_text(dir_, "doc.json", text);
  }
  std::filesystem::path dir_;
};

TEST_F(Schema, ReportOfSampleCaptureIsValid) {
  auto r = validate(json_text_of(sample_capture()));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(Schema, IdleEstimateAndProbesThatRanAreValid) {
  auto c = sample_capture();
  c.metadata.frequency_hz = 100;
  c.metadata.probes = {"cpu", "offcpu"};
  c.cpu_accounting = {capture::CpuAccounting{testing::kStartNs, 0, 50, 0, 0, 10, 150'000'000, 2, 50'000'000}};
  auto r = validate(json_text_of(c));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST_F(Schema, WallBreakdownIsValidAndAddsUp) {
  auto c = sample_capture();
  c.metadata.frequency_hz = 100;  // 95 + 5 samples: 950 + 50 ms on CPU
  c.metadata.probes = {"cpu", "offcpu"};
  const uint64_t t = testing::kStartNs, ms = 1'000'000;
  using capture::OffCpuReason;
  c.offcpu = {
      {t, t + 200 * ms, 100, 100, 0, capture::kNoStack, OffCpuReason::lock, 1},
      {t + 200 * ms, t + 230 * ms, 100, 100, 0, capture::kNoStack, OffCpuReason::runqueue, 1},
      {t, t + 70 * ms, 101, 101, 1, capture::kNoStack, OffCpuReason::disk, 1},
      {t + 5 * ms, t + 4 * ms, 101, 101, 1, capture::kNoStack, OffCpuReason::pipe, 1}};  // end < start
  const std::string text = json_text_of(c);
  auto r = validate(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const ordered_json j = ordered_json::parse(text);
  EXPECT_EQ(j["wall"]["total"]["on_cpu_ms"], 1000.0);
  EXPECT_EQ(j["wall"]["total"]["offcpu_ms"]["lock"], 200.0);
  EXPECT_EQ(j["wall"]["total"]["offcpu_ms"]["runqueue"], 30.0);
  EXPECT_EQ(j["wall"]["total"]["offcpu_ms"]["disk"], 70.0);
  EXPECT_EQ(j["wall"]["total"]["offcpu_ms"]["pipe"], 0.0);
  ASSERT_EQ(j["wall"]["threads"].size(), 2u);
  EXPECT_EQ(j["wall"]["threads"][0]["tid"], 100);  // most wall time first
  EXPECT_EQ(j["wall"]["threads"][0]["on_cpu_ms"], 950.0);
  EXPECT_EQ(j["wall"]["threads"][1]["offcpu_ms"]["disk"], 70.0);
  // Without off-CPU data there is no wall key (SPEC: present when the capture holds it).
  EXPECT_FALSE(ordered_json::parse(json_text_of(sample_capture())).contains("wall"));
  expect_line(markdown_of(c),
              "| **total** | 1000.00 | 30.00 | 200.00 | 70.00 | 0.00 | 0.00 | 0.00 | 0.00 | 0.00 |");
}

// io: syscalls grouped by (name, fd kind) across records, percentiles from
// the merged log2 histograms (interpolated in the bucket, capped at max),
// devices by (device, op); the JSON validates and the Markdown shows both.
TEST_F(Schema, IoSectionIsValidAndAddsUp) {
  auto c = sample_capture();
  c.metadata.probes = {"cpu", "io"};
  capture::IoSyscallRecord a;
  a.pid = 100;
  a.tid = 100;
  a.syscall = capture::IoSyscall::fsync;
  a.fd_kind = capture::FdKind::file;
  a.count = 99;
  a.total_ns = 99 * 3000;
  a.max_ns = 3500;
  a.latency_log2[11] = 99;            // [2048, 4096) ns
  capture::IoSyscallRecord slow = a;  // one slow call of the same key: merged into one row
  slow.count = 1;
  slow.total_ns = slow.max_ns = 50'000'000;
  slow.latency_log2 = {};
  slow.latency_log2[25] = 1;
  capture::IoSyscallRecord pipe = a;
  pipe.syscall = capture::IoSyscall::read;
  pipe.fd_kind = capture::FdKind::pipe;
  pipe.count = 4;
  pipe.bytes = 4096;
  pipe.total_ns = 4000;
  pipe.max_ns = 1000;
  pipe.latency_log2 = {};
  pipe.latency_log2[9] = 4;  // [512, 1024) ns
  c.io_syscalls = {a, slow, pipe};
  capture::IoDeviceRecord d;
  d.device = "vda";
  d.op = capture::BlockOp::write;
  d.count = 2;
  d.bytes = 8192;
  d.total_ns = 600'000;
  d.max_ns = 400'000;
  d.latency_log2[17] = 1;
  d.latency_log2[18] = 1;
  c.io_devices = {d};
  const std::string text = json_text_of(c);
  auto r = validate(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const ordered_json j = ordered_json::parse(text);
  EXPECT_EQ(j["samples"]["io"], 104);
  ASSERT_EQ(j["io"]["syscalls"].size(), 2u);
  const auto& fsync = j["io"]["syscalls"][0];  // most time first
  EXPECT_EQ(fsync["name"], "fsync");
  EXPECT_EQ(fsync["fd_kind"], "file");
  EXPECT_EQ(fsync["count"], 100);
  EXPECT_DOUBLE_EQ(fsync["total_ms"].get<double>(), 50.297);
  // p50: rank 50 of 99 in [2048, 4096): 2048 + 2048 * 50/99 = 3082.3 ns.
  EXPECT_DOUBLE_EQ(fsync["latency_ms"]["p50"].get<double>(), 0.0031);
  // p99: rank 99 is the last call of bucket 11: its upper edge, 4096 ns (the slow call is the 100th).
  EXPECT_DOUBLE_EQ(fsync["latency_ms"]["p99"].get<double>(), 0.0041);
  EXPECT_DOUBLE_EQ(fsync["latency_ms"]["max"].get<double>(), 50.0);
  const auto& read = j["io"]["syscalls"][1];
  EXPECT_EQ(read["fd_kind"], "pipe");
  EXPECT_EQ(read["bytes"], 4096);
  EXPECT_DOUBLE_EQ(read["latency_ms"]["max"].get<double>(), 0.001);
  ASSERT_EQ(j["io"]["devices"].size(), 1u);
  EXPECT_EQ(j["io"]["devices"][0]["device"], "vda");
  EXPECT_EQ(j["io"]["devices"][0]["op"], "write");
  EXPECT_EQ(j["io"]["devices"][0]["bytes"], 8192);
  EXPECT_DOUBLE_EQ(j["io"]["devices"][0]["latency_ms"]["max"].get<double>(), 0.4);
  // Without the io probe there is no io key.
  EXPECT_FALSE(ordered_json::parse(json_text_of(sample_capture())).contains("io"));
  const std::string md = markdown_of(c);
  expect_line(md, "| fsync | file | 100 | 0 | 0 | 50.30 | 0.0031 | 0.0041 | 50.00 |");
  expect_line(md, "| `vda` | write | 2 | 8192 | 0 | 0.60 | 0.2621 | 0.4000 | 0.4000 |");
}

TEST_F(Schema, TruncatedInterruptedNoAccountingIsValid) {
  auto c = sample_capture();
  c.end.reset();
  c.read_info.truncated = true;
  c.read_info.damage_offset = 777;
  c.read_info.damage = "bad checksum";
  c.cpu_accounting.clear();
  c.processes[0].exit_ns.reset();
  c.processes[0].exit_signal.reset();
  const std::string text = json_text_of(c);
  auto r = validate(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const ordered_json j = ordered_json::parse(text);
  EXPECT_EQ(j["capture"]["damage_offset"], 777);
  EXPECT_TRUE(j["cpu_accounting"].is_null());
}

TEST_F(Schema, EmptyCaptureIsValid) {
  auto r = validate(json_text_of(capture::Capture{}));
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

// `load --json` is validated as really written (open model with failures,
// closed model, capacity search): LoadCli.RealJsonOutputValidatesAgainstTheSchema
// in tests/load/cli_load_test.cpp, where the binary and the test server are.

// The validation can fail: each broken document is rejected, naming where.
TEST_F(Schema, BrokenDocumentsFail) {
  const ordered_json good = ordered_json::parse(json_text_of(sample_capture()));
  struct Case {
    const char* what;
    std::function<void(ordered_json&)> mutate;
    const char* where;  // path the validator names
  };
  const std::vector<Case> cases = {
      {"string count", [](ordered_json& j) { j["samples"]["cpu"] = "many"; }, "samples/cpu"},
      {"missing kind", [](ordered_json& j) { j["samples"].erase("io"); }, "samples"},
      {"exit status as text", [](ordered_json& j) { j["target"]["processes"][0]["exit_status"] = "0"; },
       "target/processes/0/exit_status"},
      {"misspelled exit_status",
       [](ordered_json& j) {
         auto& p = j["target"]["processes"][0];
         p["exit_stauts"] = p["exit_status"];
         p.erase("exit_status");
       },
       "target/processes/0"},
      {"share above 100", [](ordered_json& j) { j["top_functions"]["by_self"][0]["self_pct"] = 155.0; },
       "top_functions/by_self/0/self_pct"},
      {"negative lost", [](ordered_json& j) { j["lost"]["cpu"]["ringbuf_full"] = -1; },
       "lost/cpu/ringbuf_full"},
      {"unknown top-level key", [](ordered_json& j) { j["sample"] = 1; }, "(root)"},
      {"no version", [](ordered_json& j) { j.erase("loadprof_version"); }, "(root)"},
      {"truncated without offset", [](ordered_json& j) { j["capture"]["truncated"] = true; },
       "capture/damage_offset"},
      {"capture keys without lost", [](ordered_json& j) { j.erase("lost"); }, "(root)"},
  };
  for (const auto& k : cases) {
    ordered_json doc = good;
    k.mutate(doc);
    auto r = validate(doc.dump(2));
    EXPECT_EQ(r.exit_code, 1) << k.what << ": " << r.output;
    EXPECT_NE(r.output.find(std::string("doc.json: ") + k.where + ":"), std::string::npos)
        << k.what << ": " << r.output;
  }
  // And the unmodified document still passes in the same harness.
  EXPECT_EQ(validate(good.dump(2)).exit_code, 0);
}

TEST(Flamegraph, SvgFromFoldedLines) {
  std::ostringstream out;
  auto r = write_flamegraph_svg(out, {{"prog;main;hot", 3}, {"prog;main;cold", 1}}, FlamegraphOptions{});
  ASSERT_TRUE(r.ok()) << r.error().message;
  const std::string svg = out.str();
  EXPECT_NE(svg.find("all (4 samples, 100.00%)"), std::string::npos) << svg.substr(0, 2000);
  EXPECT_NE(svg.find("hot (3 samples, 75.00%)"), std::string::npos);
  FlamegraphOptions bad;
  bad.kind = "memory";
  std::ostringstream none;
  EXPECT_FALSE(write_flamegraph_svg(none, {{"a", 1}}, bad).ok());
}

}  // namespace
}  // namespace loadprof::report

namespace loadprof::report {
namespace {

// Resource readings: the "resources" rows are valid against the schema, and
// report.md gets its Resources section (absent without readings).
TEST_F(Schema, ResourcesRowsAreValidAndSummarizedInMarkdown) {
  auto c = sample_capture();
  EXPECT_EQ(markdown_of(c).find("## Resources"), std::string::npos);
  const uint64_t t = testing::kStartNs, s = 1'000'000'000;
  capture::ResourceSample m0{t, capture::kMachinePid, 0, 0, 900 << 20, 3000u << 20};
  capture::ResourceSample m1{t + s, capture::kMachinePid, s, s, 950 << 20, 2950u << 20};
  capture::ResourceSample p0{t, 100, 0, 0, 10 << 20};
  p0.threads = 1;
  p0.fds = 4;
  capture::ResourceSample p1{t + s, 100, s, s / 2, 74 << 20};
  p1.threads = 5;
  p1.fds = 104;
  p1.write_bytes = 8 << 20;
  c.resources = {m0, p0, m1, p1};
  const std::string text = json_text_of(c);
  auto r = validate(text);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  const ordered_json j = ordered_json::parse(text);
  ASSERT_EQ(j["resources"].size(), 2u);
  EXPECT_EQ(j["resources"][0]["cpu_pct"], 50.0);
  EXPECT_EQ(j["resources"][1]["threads"], 5);
  // Second 0 holds a reading without context switches (null); second 1 no delta at all (0).
  EXPECT_TRUE(j["resources"][0]["voluntary_ctxsw"].is_null());
  EXPECT_EQ(j["resources"][1]["voluntary_ctxsw"], 0);
  const std::string md = markdown_of(c);
  EXPECT_NE(md.find("## Resources"), std::string::npos) << md;
  EXPECT_NE(md.find("| context switches | not counted"), std::string::npos) << md;
  EXPECT_NE(md.find("| RSS growth |  |  | +64.0 MiB |"), std::string::npos) << md;
}

}  // namespace
}  // namespace loadprof::report
