// The mmap probe end to end (on with --probes alloc, both of its paths):
// tests/programs/mapper maps 64 x 1 MiB of anonymous memory from map_chunks,
// unmaps half from unmap_half and grows the break by 4 MiB from grow_heap
// (through glibc's sbrk, which keeps the break in rbp). Recorded by --pid
// (uprobe path; --unwind auto, DWARF stacks here, and fp, the BPF sums with
// the stack-word scan) and as a launched command (preload path), report.json's
// alloc.mmap must name each function with the bytes it asked for within 1 %,
// and the page faults of the resources timeline must hold the faults the
// program counted while it touched its pages (getrusage) — at least 90 % of
// them. tests/programs/nofp_mapper (no frame pointers anywhere) maps,
// grows and shrinks with mremap, and unmaps from named functions under a
// 2 KiB frame, launched with a stack that ends 2-4 KiB above its calls: with
// --unwind auto (DWARF for it) every byte must be under its function and main,
// exactly — glibc's realloc of a mapped block too (an
// mremap under realloc_region); with --unwind fp not (the FP walk and the
// stack-word scan stop short of main).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "loadprof/capture/reader.h"
#include "report/schema_check.h"
#include "support/privilege.h"
#include "support/run.h"

using namespace loadprof;
using loadprof::testing::loadprof_binary;
using loadprof::testing::run;
using loadprof::testing::test_program;

namespace {

struct Recorded {
  loadprof::testing::RunResult record;
  std::map<std::string, std::string> truth;
  capture::Capture capture;
  nlohmann::json report;
  std::string report_text;
  std::string dir;
};

void read_results(Recorded& r, const std::string& path) {
  auto cap = capture::read_capture(path);
  EXPECT_TRUE(cap.ok()) << (cap.ok() ? "" : cap.error().message);
  if (cap.ok()) r.capture = std::move(*cap);
  auto rep = run({loadprof_binary(), "report", path, "--output-dir", r.dir + "/out"});
  EXPECT_EQ(rep.exit_code, 0) << rep.err;
  std::ostringstream text;
  text << std::ifstream(r.dir + "/out/report.json").rdbuf();
  r.report_text = text.str();
  r.report = nlohmann::json::parse(r.report_text, nullptr, false);
}

// mapper as a child (its first line "PID n"), then record --pid (--unwind `unwind`).
Recorded record_by_pid(const std::string& unwind = "auto") {
  Recorded r;
  r.dir = loadprof::testing::temp_dir();
  const std::string path = r.dir + "/mmap.lpc";
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return r;
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(p[1], 1);
    const std::string program = test_program("mapper");
    execl(program.c_str(), program.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  close(p[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while (out.find('\n') == std::string::npos && (n = read(p[0], buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  r.record = run({loadprof_binary(), "record", "--pid", std::to_string(pid), "--probes", "alloc", "--unwind",
                  unwind, "--duration", "60", "--output", path});
  while ((n = read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  close(p[0]);
  waitpid(pid, nullptr, 0);
  auto lines = loadprof::testing::ground_truth_lines(out, "mapper");
  if (lines.size() == 1) r.truth = lines[0];
  read_results(r, path);
  return r;
}

// record --probes alloc -- mapper: its GROUND_TRUTH line comes through loadprof's stdout.
Recorded record_launched() {
  Recorded r;
  r.dir = loadprof::testing::temp_dir();
  const std::string path = r.dir + "/mmap.lpc";
  r.record =
      run({loadprof_binary(), "record", "--probes", "alloc", "--output", path, "--", test_program("mapper")});
  auto lines = loadprof::testing::ground_truth_lines(r.record.out, "mapper");
  if (lines.size() == 1) r.truth = lines[0];
  read_results(r, path);
  return r;
}

double truth(const Recorded& r, const std::string& key) { return std::stod(r.truth.at(key)); }

// The stack entry of alloc.mmap whose allocating function is `frame` and op `op`.
nlohmann::json stack_of(const nlohmann::json& mmap, const std::string& frame, const std::string& op) {
  for (const auto& s : mmap["stacks"])
    if (s["frame"] == frame && s["op"] == op) return s;
  return nlohmann::json();
}

void expect_truth(const Recorded& r) {
  ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
  ASSERT_FALSE(r.truth.empty()) << "no ground truth: " << r.record.out;
  ASSERT_TRUE(r.report.is_object());
  LOADPROF_EXPECT_VALID_JSON(
      loadprof::testing::validate_json_text(r.dir, "report.checked.json", r.report_text));
  ASSERT_TRUE(r.report["alloc"].contains("mmap")) << r.report["alloc"].dump();
  const auto& m = r.report["alloc"]["mmap"];
  ASSERT_TRUE(r.capture.drops.count("mmap"));  // the probe ran
  for (const auto& [reason, n] : r.capture.drops.at("mmap")) {
    if (reason != "stack_truncated") {
      EXPECT_EQ(n, 0u) << reason;
    }
  }

  // mmap by stack: map_chunks, every byte it mapped.
  const auto mapped = stack_of(m, "map_chunks", "mmap");
  ASSERT_TRUE(mapped.is_object()) << m.dump(1);
  std::printf("map_chunks: %s calls, %s B (program: %.0f B); unmap_half: %s; grow_heap: %s\n",
              mapped["calls"].dump().c_str(), mapped["bytes"].dump().c_str(), truth(r, "mmap_bytes"),
              stack_of(m, "unmap_half", "munmap").dump().c_str(),
              stack_of(m, "grow_heap", "brk").dump().c_str());
  EXPECT_NEAR(mapped["bytes"].get<double>(), truth(r, "mmap_bytes"), 0.01 * truth(r, "mmap_bytes"));
  EXPECT_EQ(mapped["calls"].get<double>(), truth(r, "mmap_calls"));
  // munmap by stack: unmap_half, half of it.
  const auto unmapped = stack_of(m, "unmap_half", "munmap");
  ASSERT_TRUE(unmapped.is_object()) << m.dump(1);
  EXPECT_NEAR(unmapped["bytes"].get<double>(), truth(r, "munmap_bytes"), 0.01 * truth(r, "munmap_bytes"));
  EXPECT_EQ(unmapped["calls"].get<double>(), truth(r, "munmap_calls"));
  // brk growth by stack: grow_heap, found through sbrk (no frame pointer there).
  const auto grown = stack_of(m, "grow_heap", "brk");
  ASSERT_TRUE(grown.is_object()) << m.dump(1);
  EXPECT_NEAR(grown["bytes"].get<double>(), truth(r, "brk_bytes"), 0.01 * truth(r, "brk_bytes"));
  EXPECT_EQ(grown["calls"].get<double>(), truth(r, "brk_calls"));
  // The totals hold them (the process's other calls, at its start under the preload path, beside them).
  EXPECT_GE(m["mapped_bytes"].get<double>(), truth(r, "mmap_bytes"));
  EXPECT_GE(m["unmapped_bytes"].get<double>(), truth(r, "munmap_bytes"));
  EXPECT_GE(m["brk_growth_bytes"].get<double>(), truth(r, "brk_bytes"));

  // Page faults over time: the touching shows in the resources timeline.
  double minor = 0;
  for (const auto& row : r.report["resources"]) minor += row["minor_faults"].get<double>();
  std::printf("minor faults over the capture %.0f; the program's touching %.0f (%.0f pages)\n", minor,
              truth(r, "touch_minor_faults"), truth(r, "pages_touched"));
  EXPECT_GE(truth(r, "touch_minor_faults"), 0.9 * truth(r, "pages_touched"));  // the program's own check
  EXPECT_GE(minor, 0.9 * truth(r, "touch_minor_faults"));
}

bool stack_has(const capture::Capture& c, capture::StackId id, const std::string& function) {
  if (id == capture::kNoStack || id >= c.stacks.size()) return false;
  for (auto f : c.stacks[id].frames)
    if (f < c.frames.size() && c.frames[f].function == function) return true;
  return false;
}

struct OpSum {
  uint64_t calls = 0, bytes = 0;
};

// The records of `op` whose stack holds `function` (and main, when asked), summed.
OpSum sum_of(const capture::Capture& c, capture::MmapOp op, const std::string& function, bool with_main) {
  OpSum s;
  for (const auto& m : c.mmaps) {
    if (m.op != op || !stack_has(c, m.stack, function)) continue;
    if (with_main && !stack_has(c, m.stack, "main")) continue;
    s.calls += m.calls;
    s.bytes += m.bytes;
  }
  return s;
}

class MmapE2E : public ::testing::Test {
 protected:
  void SetUp() override { LOADPROF_REQUIRE_BPF_PRIVILEGES(); }
};

TEST_F(MmapE2E, ByPidEveryMappingUnderItsFunctionAndFaultsOverTime) {
  Recorded r = record_by_pid();
  expect_truth(r);
  EXPECT_EQ(r.report["alloc"]["method"], "uprobes");
}

// --unwind auto picks DWARF for mapper (glibc has no frame pointers): the
// frame-pointer path (the BPF sums with the stack-word scan) is checked here.
TEST_F(MmapE2E, ByPidFramePointerPathEveryMappingUnderItsFunction) {
  Recorded r = record_by_pid("fp");
  expect_truth(r);
  EXPECT_FALSE(r.capture.drops.at("mmap").count("dwarf_ringbuf_full"));  // no DWARF copies asked
}

TEST_F(MmapE2E, LaunchedEveryMappingUnderItsFunctionAndFaultsOverTime) {
  Recorded r = record_launched();
  expect_truth(r);
  EXPECT_EQ(r.report["alloc"]["method"], "preload");
}

}  // namespace

namespace {

// nofp_mapper launched (--probes alloc: the preload path, the mmap probe on)
// with --unwind auto and fp.
TEST_F(MmapE2E, WithoutFramePointersDwarfStacksPutEveryByteUnderItsFunctionAndMain) {
  for (const std::string unwind : {"auto", "fp"}) {
    SCOPED_TRACE(unwind);
    Recorded r;
    r.dir = loadprof::testing::temp_dir();
    const std::string path = r.dir + "/nofp_mapper.lpc";
    // An empty environment and no address randomization put its stack's end
    // 2-4 KiB above the calls, main's frame above the first 2 KiB: a copy of the
    // stack halved until it fit (before stop 24) lost main in every such run,
    // in 1 of ~8 with ctest's environment and randomization.
    const std::string small_stack =
        "exec setarch -R env -i LD_PRELOAD=\"$LD_PRELOAD\" LOADPROF_ALLOC_FD=\"$LOADPROF_ALLOC_FD\" '" +
        test_program("nofp_mapper") + "'";
    r.record = run({loadprof_binary(), "record", "--probes", "alloc", "--unwind", unwind, "--output", path,
                    "--", "/bin/sh", "-c", small_stack});
    ASSERT_EQ(r.record.exit_code, 0) << r.record.err;
    auto lines = loadprof::testing::ground_truth_lines(r.record.out, "nofp_mapper");
    ASSERT_EQ(lines.size(), 1u) << r.record.out;
    r.truth = lines[0];
    read_results(r, path);
    ASSERT_TRUE(r.report.is_object());
    LOADPROF_EXPECT_VALID_JSON(
        loadprof::testing::validate_json_text(r.dir, "report.checked.json", r.report_text));
    ASSERT_TRUE(r.capture.drops.count("mmap"));
    const auto& drops = r.capture.drops.at("mmap");
    for (const auto& [reason, n] : drops)
      std::printf("  (%s) mmap drop %s = %llu\n", unwind.c_str(), reason.c_str(),
                  static_cast<unsigned long long>(n));

    struct Case {
      capture::MmapOp op;
      const char* function;
      const char* calls_key;
      const char* bytes_key;
    };
    using Op = capture::MmapOp;
    const Case cases[] = {{Op::mmap_anon, "map_region", "map_calls", "map_bytes"},
                          {Op::mremap_grow, "grow_region", "grow_calls", "grow_bytes"},
                          {Op::mremap_shrink, "shrink_region", "shrink_calls", "shrink_bytes"},
                          {Op::munmap_anon, "unmap_region", "unmap_calls", "unmap_bytes"},
                          // glibc's realloc of a mapped block: mremap, under the caller of realloc.
                          {Op::mremap_grow, "realloc_region", "realloc_calls", "realloc_bytes"}};
    for (const Case& c : cases) {
      SCOPED_TRACE(c.function);
      const OpSum mine = sum_of(r.capture, c.op, c.function, false);
      const OpSum to_main = sum_of(r.capture, c.op, c.function, true);
      const double want = truth(r, c.bytes_key);
      std::printf(
          "nofp_mapper (%s) %-13s %3llu calls %10llu B under it, %10llu B under it and main "
          "(truth %.0f calls %.0f B): %.1f %%\n",
          unwind.c_str(), c.function, static_cast<unsigned long long>(mine.calls),
          static_cast<unsigned long long>(mine.bytes), static_cast<unsigned long long>(to_main.bytes),
          truth(r, c.calls_key), want, 100.0 * static_cast<double>(to_main.bytes) / want);
      if (unwind == "fp") {
        EXPECT_LT(static_cast<double>(to_main.bytes), want);  // the FP walk never reaches main here
        continue;
      }
      EXPECT_EQ(static_cast<double>(mine.bytes), want);
      EXPECT_EQ(static_cast<double>(to_main.bytes), want);
      EXPECT_EQ(static_cast<double>(to_main.calls), truth(r, c.calls_key));
    }
    if (unwind == "fp") continue;
    // DWARF: nothing fell back to the FP sum, every stack copied.
    EXPECT_EQ(drops.at("dwarf_ringbuf_full"), 0u);
    EXPECT_EQ(drops.at("dwarf_stack_not_copied"), 0u);
    // report.json: the mremap growth under grow_region, exact, and in the totals.
    const auto& m = r.report["alloc"]["mmap"];
    const auto grown = stack_of(m, "grow_region", "mremap");
    ASSERT_TRUE(grown.is_object()) << m.dump(1);
    EXPECT_EQ(grown["bytes"].get<double>(), truth(r, "grow_bytes"));
    EXPECT_EQ(grown["calls"].get<double>(), truth(r, "grow_calls"));
    EXPECT_GE(m["mremap_growth_bytes"].get<double>(), truth(r, "grow_bytes"));
    EXPECT_GE(m["mremap_shrink_bytes"].get<double>(), truth(r, "shrink_bytes"));
  }
}

}  // namespace
