// Integration tests of the Collector with real BPF and perf events against
// our programs in tests/programs, launched the way `record -- CMD` does.
// Counts are checked against the programs' own ground truth (their CPU time).
#include "loadprof/collect/collector.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "loadprof/collect/launch.h"
#include "readelf.h"
#include "support/privilege.h"

namespace loadprof::collect {
namespace {

const std::string kPrograms = LOADPROF_TEST_PROGRAMS_DIR;
constexpr uint64_t kKernelBase = 0xffff800000000000ull;
// Sample counts against the program's own CPU time (CLOCK_*_CPUTIME). On an
// idle machine they agree within ~2 %; on this shared 2-vCPU VM at load ~8,
// timer-based sampling over-counted a CPU-bound target by up to 35 % (tasks
// woken by timers run right after the sampling interrupt and are missed, the
// interrupted burner is charged). Shares inside the target stay right.
constexpr double kCountLow = 0.75, kCountHigh = 1.5;

struct Sample {
  uint64_t time_ns;
  uint32_t pid, tid, cpu;
  std::vector<uint64_t> user, kernel;
  bool truncated;
};

struct RecordingSink : EventSink {
  std::vector<Sample> samples;
  std::vector<capture::Mapping> mappings;
  struct Comm {
    uint32_t pid, tid;
    std::string comm;
    bool exec;
  };
  std::vector<Comm> comms;
  struct Fork {
    uint32_t pid, ppid, tid;
  };
  std::vector<Fork> forks;
  std::vector<std::pair<uint32_t, uint32_t>> exits;
  std::map<uint32_t, int> exit_status;
  uint64_t last_time_ns = 0;
  bool time_order_ok = true;

  void check_order(uint64_t t) {
    if (t < last_time_ns) time_order_ok = false;
    last_time_ns = t;
  }
  void on_cpu_sample(const CpuSampleView& s) override {
    check_order(s.time_ns);
    samples.push_back({s.time_ns,
                       s.pid,
                       s.tid,
                       s.cpu,
                       {s.user_ips.begin(), s.user_ips.end()},
                       {s.kernel_ips.begin(), s.kernel_ips.end()},
                       s.user_truncated});
  }
  void on_mapping(const capture::Mapping& m) override { mappings.push_back(m); }
  void on_comm(uint32_t pid, uint32_t tid, std::string_view comm, bool exec, uint64_t t) override {
    check_order(t);
    comms.push_back({pid, tid, std::string(comm), exec});
  }
  void on_fork(uint32_t pid, uint32_t ppid, uint32_t tid, uint64_t t) override {
    check_order(t);
    forks.push_back({pid, ppid, tid});
  }
  void on_exit(uint32_t pid, uint32_t tid, uint64_t) override { exits.emplace_back(pid, tid); }
  void on_exit_status(uint32_t pid, int status, uint64_t) override { exit_status[pid] = status; }
  // The mmap probe's records: calls and bytes by (pid, op), DWARF ones apart.
  struct MmapSum {
    uint64_t calls = 0, bytes = 0, dwarf_calls = 0;
  };
  std::map<std::pair<uint32_t, capture::MmapOp>, MmapSum> mmaps;
  void on_mmap(const MmapView& v) override {
    MmapSum& s = mmaps[{v.record.pid, v.record.op}];
    s.calls += v.record.calls;
    s.bytes += v.record.bytes;
    if (v.dwarf) s.dwarf_calls += v.record.calls;
  }

  size_t samples_of(uint32_t pid) const {
    size_t n = 0;
    for (const auto& s : samples) n += s.pid == pid;
    return n;
  }
};

using GroundTruth = std::map<std::string, std::string>;

// All GROUND_TRUTH lines of a program's output, keyed by their `program=`.
std::map<std::string, GroundTruth> parse_ground_truth(const std::string& text) {
  std::map<std::string, GroundTruth> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("GROUND_TRUTH ", 0) != 0) continue;
    GroundTruth g;
    std::istringstream words(line.substr(13));
    std::string w;
    while (words >> w) {
      auto eq = w.find('=');
      if (eq != std::string::npos) g[w.substr(0, eq)] = w.substr(eq + 1);
    }
    out[g["program"]] = g;
  }
  return out;
}

struct ProgramRun {
  RecordingSink sink;
  std::map<std::string, GroundTruth> truth;
  pid_t pid = -1;
  ExitStatus status;
  std::vector<capture::CpuAccounting> accounting;
  capture::DropCounters drops;
  uint64_t start_ns = 0, end_ns = 0;
};

// Launches `program args` (stdout to a file) under a collector, polls until the
// whole target set has exited, and returns everything the sink saw.
void run_program(const std::string& program, const std::string& args, const CollectorOptions& options,
                 ProgramRun& run, const std::string& env = "") {
  auto collector = Collector::open(options);
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  std::string out_file = std::filesystem::temp_directory_path() /
                         ("lp_collect_" + std::to_string(getpid()) + "_" + program + ".out");
  auto cmd = LaunchedCommand::spawn(
      {"/bin/sh", "-c",
       "exec " + env + "'" + kPrograms + "/" + program + "' " + args + " > '" + out_file + "'"});
  ASSERT_TRUE(cmd.ok()) << cmd.error().message;
  run.pid = cmd->pid();
  ASSERT_TRUE((*collector)->add_target(cmd->pid(), true).ok());
  run.start_ns = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  ASSERT_TRUE(cmd->release().ok());
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    ASSERT_TRUE((*collector)->poll(run.sink, 100).ok());
    auto acc = (*collector)->take_accounting();
    run.accounting.insert(run.accounting.end(), acc.begin(), acc.end());
    if (cmd->poll_exit() && (*collector)->live_targets() == 0) break;
  }
  run.end_ns = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  ASSERT_TRUE(cmd->poll_exit().has_value()) << program << " did not finish";
  EXPECT_EQ((*collector)->live_targets(), 0u);
  ASSERT_TRUE((*collector)->stop(run.sink).ok());
  auto acc = (*collector)->take_accounting();
  run.accounting.insert(run.accounting.end(), acc.begin(), acc.end());
  run.drops = (*collector)->drops();
  run.status = *cmd->poll_exit();
  std::ifstream in(out_file);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out_file);
  run.truth = parse_ground_truth(text.str());
}

void run_program(const std::string& program, const std::string& args, uint32_t frequency_hz,
                 ProgramRun& run) {
  CollectorOptions options;
  options.frequency_hz = frequency_hz;
  run_program(program, args, options, run);
}

double number(const GroundTruth& g, const std::string& key) {
  auto it = g.find(key);
  return it == g.end() ? -1 : std::stod(it->second);
}

const capture::Mapping* mapping_for(const std::vector<capture::Mapping>& maps, uint32_t pid, uint64_t ip) {
  const capture::Mapping* found = nullptr;
  for (const auto& m : maps) {
    if (m.pid == pid && ip >= m.start && ip < m.end) found = &m;  // the latest one wins
  }
  return found;
}

// Function [start, end) in the ELF file (vaddr == file offset for the text of our programs).
std::pair<uint64_t, uint64_t> function_range(const std::string& binary, const std::string& name) {
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(("nm -S '" + binary + "'").c_str(), "r"), pclose);
  char line[512];
  while (p && std::fgets(line, sizeof line, p.get())) {
    unsigned long long addr = 0, size = 0;
    char type = 0;
    char sym[256] = {};
    if (std::sscanf(line, "%llx %llx %c %255s", &addr, &size, &type, sym) == 4 && name == sym)
      return {addr, addr + size};
  }
  return {0, 0};
}

bool in_function(const std::vector<capture::Mapping>& maps, uint32_t pid, uint64_t ip,
                 const std::string& binary, std::pair<uint64_t, uint64_t> range) {
  const capture::Mapping* m = mapping_for(maps, pid, ip);
  if (!m || m->path != binary) return false;
  uint64_t offset = ip - m->start + m->pgoff;
  return offset >= range.first && offset < range.second;
}

TEST(Collector, SamplesOnlyTheTargetAtTheExpectedRate) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  // ~1 s of CPU on a loaded machine: 999 Hz keeps the sampling error of a 2/3
  // share near 1.5 points (199 Hz: ~3.5).
  const uint32_t hz = 999;
  ASSERT_NO_FATAL_FAILURE(run_program("hot", "3", hz, run));
  ASSERT_EQ(run.status.exit_code.value_or(-1), 0);
  ASSERT_TRUE(run.truth.count("hot"));
  const auto& g = run.truth["hot"];
  ASSERT_EQ(static_cast<pid_t>(number(g, "pid")), run.pid);
  double cpu_s = number(g, "total_cpu_ns") / 1e9;
  double expected = hz * cpu_s;
  size_t n = run.sink.samples.size();
  EXPECT_EQ(run.sink.samples_of(static_cast<uint32_t>(run.pid)), n) << "samples of other processes leaked in";
  EXPECT_GE(n, kCountLow * expected) << "cpu " << cpu_s << " s";
  EXPECT_LE(n, kCountHigh * expected + 5) << "cpu " << cpu_s << " s";
  EXPECT_TRUE(run.sink.time_order_ok);
  // Frame-pointer stacks of a clang -fno-omit-frame-pointer program: hot <- b <- a <- main.
  size_t deep = 0, truncated = 0;
  for (const auto& s : run.sink.samples) {
    deep += s.user.size() >= 4;
    truncated += s.truncated;
  }
  EXPECT_GE(deep, 0.9 * n);
  EXPECT_LE(truncated, 0.05 * n);
  // With the mappings the collector delivered, the raw stacks already show the
  // ground truth: leaf in hot() at the share the program measured, main() on
  // (almost) every stack.
  std::string binary = kPrograms + "/hot";
  auto hot_range = function_range(binary, "hot"), main_range = function_range(binary, "main");
  ASSERT_NE(hot_range.second, 0u);
  size_t leaf_hot = 0, reach_main = 0;
  for (const auto& s : run.sink.samples) {
    if (!s.user.empty() && in_function(run.sink.mappings, s.pid, s.user[0], binary, hot_range)) ++leaf_hot;
    for (uint64_t ip : s.user) {
      if (in_function(run.sink.mappings, s.pid, ip, binary, main_range)) {
        ++reach_main;
        break;
      }
    }
  }
  double hot_pct = 100.0 * leaf_hot / n, truth_pct = number(g, "hot_share_pct");
  EXPECT_NEAR(hot_pct, truth_pct, 5.0);
  EXPECT_GE(reach_main, 0.95 * n);
  std::printf(
      "FIGURES samples=%zu expected=%.1f ratio=%.3f hot_leaf_pct=%.2f truth_pct=%.2f reach_main_pct=%.2f "
      "truncated=%zu\n",
      n, expected, n / expected, hot_pct, truth_pct, 100.0 * reach_main / n, truncated);
  EXPECT_EQ(run.drops["cpu"]["ringbuf_full"], 0u);
  EXPECT_EQ(run.sink.exit_status.at(static_cast<uint32_t>(run.pid)), 0);
}

TEST(Collector, AccountingAddsUpToFrequencyTimesCpus) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  const uint32_t hz = 499;
  ASSERT_NO_FATAL_FAILURE(run_program("hot", "3", hz, run));
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  std::map<uint64_t, std::map<uint32_t, capture::CpuAccounting>> by_second;
  uint64_t target = 0;
  for (const auto& a : run.accounting) {
    EXPECT_EQ(by_second[a.second_ns].count(a.cpu), 0u) << "second reported twice";
    by_second[a.second_ns][a.cpu] = a;
    target += a.target;
  }
  ASSERT_GE(by_second.size(), 3u);
  // Every sample of the target was counted exactly once, and delivered unless dropped.
  EXPECT_EQ(target, run.sink.samples.size() + run.drops["cpu"]["ringbuf_full"]);
  // Whole seconds (not the first or last, which are partial): hz samples per CPU.
  size_t checked = 0;
  for (auto it = std::next(by_second.begin()); it != std::prev(by_second.end()); ++it) {
    uint64_t total = 0, target_s = 0, steal_ns = 0, throttled_ns = 0;
    for (const auto& [cpu, a] : it->second) {
      total += a.target + a.self + a.other + a.idle;
      target_s += a.target;
      steal_ns += a.steal_ns;
      throttled_ns += a.throttled_ns;
    }
    const double expected = static_cast<double>(hz) * static_cast<double>(cpus);
    // Never more than the frequency asks.
    EXPECT_LE(static_cast<double>(total), 1.2 * expected) << "second " << it->first / 1000000000;
    // And not much less where it can be known: a CPU busy with the target
    // takes every sample. An idle vCPU takes few (13-25 of 499 per second
    // measured here on a quiet machine, about half under load): that
    // shortfall is what the report estimates as idle, so it cannot be bounded
    // here. hot keeps one CPU busy: the busiest CPU's row, counted or
    // explained by steal and throttling, holds at least 90 % of hz; a lost
    // row or second of that CPU would read near 0.
    uint64_t busiest = 0;
    uint64_t busiest_explained_ns = 0;
    for (const auto& [cpu, a] : it->second) {
      const uint64_t row = a.target + a.self + a.other + a.idle;
      if (row > busiest) {
        busiest = row;
        busiest_explained_ns = a.steal_ns + a.throttled_ns;
      }
    }
    EXPECT_GE(static_cast<double>(busiest) + static_cast<double>(hz) * busiest_explained_ns / 1e9, 0.9 * hz)
        << "second " << it->first / 1000000000;
    EXPECT_GE(total, target_s);
    std::printf("FIGURES second=%llu total=%llu expected=%.0f target=%llu steal_ms=%.1f throttled_ms=%.1f\n",
                static_cast<unsigned long long>(it->first / 1000000000),
                static_cast<unsigned long long>(total), expected, static_cast<unsigned long long>(target_s),
                steal_ns / 1e6, throttled_ns / 1e6);
    ++checked;
  }
  // Every CPU reports every whole second.
  for (auto it = std::next(by_second.begin()); it != std::prev(by_second.end()); ++it)
    EXPECT_EQ(static_cast<long>(it->second.size()), cpus) << "second " << it->first / 1000000000;
  EXPECT_GE(checked, 1u);
  // The target's share matches its own CPU time, whatever else loads the machine.
  ASSERT_TRUE(run.truth.count("hot"));
  double expected_target = hz * number(run.truth["hot"], "total_cpu_ns") / 1e9;
  EXPECT_GE(static_cast<double>(target), kCountLow * expected_target);
  EXPECT_LE(static_cast<double>(target), kCountHigh * expected_target + 5);
}

TEST(Collector, FollowsAGrandchildStartedThroughShell) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  const uint32_t hz = 199;
  ASSERT_NO_FATAL_FAILURE(run_program("spawner", "2", hz, run));
  ASSERT_TRUE(run.truth.count("hot") && run.truth.count("spawner"));
  uint32_t spawner = static_cast<uint32_t>(run.pid);
  uint32_t sh = static_cast<uint32_t>(number(run.truth["spawner"], "sh_pid"));
  uint32_t burner = static_cast<uint32_t>(number(run.truth["hot"], "pid"));
  ASSERT_NE(burner, spawner);
  ASSERT_NE(burner, sh);
  double expected = hz * number(run.truth["hot"], "total_cpu_ns") / 1e9;
  EXPECT_GE(run.sink.samples_of(burner), kCountLow * expected);
  EXPECT_LE(run.sink.samples_of(burner), kCountHigh * expected + 5);
  std::printf("FIGURES grandchild_samples=%zu expected=%.1f\n", run.sink.samples_of(burner), expected);
  std::set<uint32_t> allowed{spawner, sh, burner};
  for (const auto& s : run.sink.samples) EXPECT_TRUE(allowed.count(s.pid)) << "sample of pid " << s.pid;
  bool sh_forked = false, burner_forked = false;
  for (const auto& f : run.sink.forks) {
    sh_forked |= f.pid == sh && f.ppid == spawner;
    burner_forked |= f.pid == burner && f.ppid == sh;
  }
  EXPECT_TRUE(sh_forked);
  EXPECT_TRUE(burner_forked);
  bool burner_exec = false;
  for (const auto& c : run.sink.comms) burner_exec |= c.pid == burner && c.exec && c.comm == "hot";
  EXPECT_TRUE(burner_exec);
  // The burner's own binary mapping came through the sideband after its exec.
  bool burner_mapped = false;
  for (const auto& m : run.sink.mappings) burner_mapped |= m.pid == burner && m.path == kPrograms + "/hot";
  EXPECT_TRUE(burner_mapped);
  for (uint32_t pid : {spawner, sh, burner}) {
    ASSERT_TRUE(run.sink.exit_status.count(pid)) << pid;
    EXPECT_EQ(run.sink.exit_status[pid], 0) << pid;
  }
}

TEST(Collector, DlopenedLibraryArrivesThroughTheSidebandWithBuildId) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  ASSERT_NO_FATAL_FAILURE(run_program("dlopen_host", "1.5", 199, run));
  ASSERT_TRUE(run.truth.count("dlopen_host"));
  const auto& g = run.truth["dlopen_host"];
  std::string lib = g.at("library");
  uint64_t loaded_at = static_cast<uint64_t>(number(g, "loaded_at_ns"));
  const capture::Mapping* mapping = nullptr;
  for (const auto& m : run.sink.mappings) {
    if (m.path == lib && m.pid == static_cast<uint32_t>(run.pid)) mapping = &m;
  }
  ASSERT_NE(mapping, nullptr) << "no mapping of " << lib;
  EXPECT_TRUE(mapping->executable);
  EXPECT_GE(mapping->time_ns, loaded_at) << "mapping time must be the dlopen, from the sideband";
  EXPECT_EQ(mapping->build_id, readelf_build_id(lib));
  EXPECT_EQ(mapping->build_id.size(), 40u);
  // Samples taken while burning in the library have their leaf inside it.
  size_t after = 0, in_lib = 0;
  for (const auto& s : run.sink.samples) {
    if (s.time_ns < mapping->time_ns || s.user.empty()) continue;
    ++after;
    in_lib += s.user[0] >= mapping->start && s.user[0] < mapping->end;
  }
  ASSERT_GT(after, 50u);
  EXPECT_GE(in_lib, 0.8 * after);
  std::printf("FIGURES after_dlopen=%zu leaf_in_library=%zu build_id=%s\n", after, in_lib,
              mapping->build_id.c_str());
}

TEST(Collector, HundredMillisecondChildIsMappedAndSampled) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  const uint32_t hz = 499;
  ASSERT_NO_FATAL_FAILURE(run_program("short_child", "100", hz, run));
  ASSERT_TRUE(run.truth.count("short_child"));
  uint32_t child = static_cast<uint32_t>(number(run.truth["short_child"], "child_pid"));
  ASSERT_GT(child, 0u);
  // The child's own exec mapped short_child again: the sideband says so with its pid.
  const capture::Mapping* exe = nullptr;
  for (const auto& m : run.sink.mappings) {
    if (m.pid == child && m.path == kPrograms + "/short_child") exe = &m;
  }
  ASSERT_NE(exe, nullptr);
  EXPECT_EQ(exe->build_id, readelf_build_id(kPrograms + "/short_child"));
  // ~100 ms of CPU at 499 Hz: about 50 samples; their leaves lie in the child's mappings.
  size_t n = run.sink.samples_of(child), resolvable = 0;
  EXPECT_GE(n, 25u);
  for (const auto& s : run.sink.samples) {
    if (s.pid == child && !s.user.empty() && mapping_for(run.sink.mappings, child, s.user[0])) ++resolvable;
  }
  EXPECT_GE(resolvable, 0.9 * n);
  std::printf("FIGURES child_samples=%zu resolvable=%zu\n", n, resolvable);
  EXPECT_EQ(run.sink.exit_status.count(child), 1u);
}

TEST(Collector, SyscallProgramYieldsKernelStacks) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  ASSERT_NO_FATAL_FAILURE(run_program("syscalls", "2", 199, run));
  ASSERT_TRUE(run.truth.count("syscalls"));
  const auto& g = run.truth["syscalls"];
  double sys_share = number(g, "sys_cpu_ns") / (number(g, "sys_cpu_ns") + number(g, "user_cpu_ns"));
  size_t n = run.sink.samples.size(), with_kernel = 0, kernel_and_user = 0;
  for (const auto& s : run.sink.samples) {
    if (s.kernel.empty()) continue;
    ++with_kernel;
    for (uint64_t ip : s.kernel) EXPECT_GE(ip, kKernelBase);
    // our write_devnull/get_pid -> do_syscalls -> main above the syscall
    kernel_and_user += s.user.size() >= 3;
  }
  ASSERT_GT(n, 100u);
  EXPECT_GE(with_kernel, 0.5 * sys_share * n) << "sys share " << sys_share;
  EXPECT_GE(kernel_and_user, 0.9 * with_kernel);
  std::printf("FIGURES samples=%zu with_kernel=%zu kernel_and_user=%zu sys_share=%.2f\n", n, with_kernel,
              kernel_and_user, sys_share);
}

TEST(Collector, FollowsThreadsOfTheTarget) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  const uint32_t hz = 499;
  ASSERT_NO_FATAL_FAILURE(run_program("hot", "2 2", hz, run));
  ASSERT_TRUE(run.truth.count("hot"));
  std::set<uint32_t> tids;
  for (const auto& s : run.sink.samples) {
    EXPECT_EQ(s.pid, static_cast<uint32_t>(run.pid));
    tids.insert(s.tid);
  }
  EXPECT_EQ(tids.size(), 2u);
  double expected = hz * number(run.truth["hot"], "total_cpu_ns") / 1e9;
  EXPECT_GE(run.sink.samples.size(), kCountLow * expected);
  EXPECT_LE(run.sink.samples.size(), kCountHigh * expected + 5);
  std::printf("FIGURES samples=%zu expected=%.1f tids=%zu\n", run.sink.samples.size(), expected, tids.size());
  bool thread_forked = false;
  for (const auto& f : run.sink.forks)
    thread_forked |= f.pid == static_cast<uint32_t>(run.pid) && f.tid != f.pid;
  EXPECT_TRUE(thread_forked);
}

TEST(Collector, ForkedChildWithoutExecInheritsMappings) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  ASSERT_NO_FATAL_FAILURE(run_program("short_child", "100 fork", 499, run));
  ASSERT_TRUE(run.truth.count("short_child_child"));
  uint32_t child = static_cast<uint32_t>(number(run.truth["short_child_child"], "pid"));
  // No mmap2 announces the child's mappings: they are copied from the parent at the fork.
  bool exe = false;
  for (const auto& m : run.sink.mappings) exe |= m.pid == child && m.path == kPrograms + "/short_child";
  EXPECT_TRUE(exe);
  size_t n = run.sink.samples_of(child), resolvable = 0, truncated = 0;
  for (const auto& s : run.sink.samples) {
    if (s.pid != child) continue;
    truncated += s.truncated;
    if (!s.user.empty() && mapping_for(run.sink.mappings, child, s.user[0])) ++resolvable;
  }
  EXPECT_GE(n, 25u);
  EXPECT_GE(resolvable, 0.9 * n);
  EXPECT_LE(truncated, 0.1 * n);
}

TEST(Collector, FullRingBufferIsCountedNotSilent) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  CollectorOptions options;
  options.frequency_hz = 999;
  options.ringbuf_bytes = 4096;  // one sample record fits; the reader drains every 100 ms
  ASSERT_NO_FATAL_FAILURE(run_program("hot", "1", options, run));
  uint64_t target = 0;
  for (const auto& a : run.accounting) target += a.target;
  uint64_t dropped = run.drops["cpu"]["ringbuf_full"];
  EXPECT_GT(dropped, 0u);
  EXPECT_GT(run.sink.samples.size(), 0u);
  EXPECT_EQ(target, run.sink.samples.size() + dropped);
  std::printf("FIGURES target=%llu delivered=%zu ringbuf_full=%llu\n",
              static_cast<unsigned long long>(target), run.sink.samples.size(),
              static_cast<unsigned long long>(dropped));
}

// The mmap probe in DWARF mode with a ring too small for one call's record
// (4,272 bytes in 4,096): every call of nofp_mapper falls back to the BPF
// sums with the frame-pointer stack, and each is counted
// (mmap/dwarf_ringbuf_full) — none lost, none silent.
TEST(Collector, MmapDwarfRingFullFallsBackToTheBpfSumsCounted) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  CollectorOptions options;
  options.frequency_hz = 99;
  options.dwarf = true;
  options.alloc = true;
  options.alloc_preload = true;  // no uprobes: the program is told it may start (LOADPROF_ALLOC_FD)
  options.mmap_ringbuf_bytes = 4096;
  setenv("LOADPROF_ALLOC_PRELOAD", LOADPROF_ALLOC_LIBRARY, 1);  // the preload ring opens (unused here)
  ASSERT_NO_FATAL_FAILURE(run_program("nofp_mapper", "0.1 0.2", options, run, "env LOADPROF_ALLOC_FD=-1 "));
  ASSERT_TRUE(run.truth.count("nofp_mapper"));
  const GroundTruth& t = run.truth["nofp_mapper"];
  uint64_t calls = 0, dwarf_calls = 0;
  for (const auto& [key, s] : run.sink.mmaps) {
    if (key.first != static_cast<uint32_t>(run.pid)) continue;
    calls += s.calls;
    dwarf_calls += s.dwarf_calls;
  }
  const auto at = [&](capture::MmapOp op) { return run.sink.mmaps[{static_cast<uint32_t>(run.pid), op}]; };
  const uint64_t full = run.drops["mmap"]["dwarf_ringbuf_full"];
  std::printf("FIGURES calls=%llu dwarf=%llu dwarf_ringbuf_full=%llu mremap_grow=%llu B\n",
              static_cast<unsigned long long>(calls), static_cast<unsigned long long>(dwarf_calls),
              static_cast<unsigned long long>(full),
              static_cast<unsigned long long>(at(capture::MmapOp::mremap_grow).bytes));
  EXPECT_EQ(dwarf_calls, 0u);
  EXPECT_EQ(full, calls);
  EXPECT_GE(at(capture::MmapOp::mmap_anon).bytes, static_cast<uint64_t>(number(t, "map_bytes")));
  EXPECT_EQ(at(capture::MmapOp::mremap_grow).bytes,
            static_cast<uint64_t>(number(t, "grow_bytes") + number(t, "realloc_bytes")));
  EXPECT_EQ(at(capture::MmapOp::mremap_shrink).bytes, static_cast<uint64_t>(number(t, "shrink_bytes")));
  EXPECT_GE(at(capture::MmapOp::munmap_anon).bytes,
            static_cast<uint64_t>(number(t, "unmap_bytes")));  // + free's
}

TEST(Collector, WithoutFollowingChildrenOnlyTheTargetIsSampled) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  CollectorOptions options;
  options.frequency_hz = 199;
  options.follow_children = false;
  ASSERT_NO_FATAL_FAILURE(run_program("spawner", "1", options, run));
  ASSERT_TRUE(run.truth.count("hot"));
  uint32_t burner = static_cast<uint32_t>(number(run.truth["hot"], "pid"));
  EXPECT_EQ(run.sink.samples_of(burner), 0u);
  for (const auto& s : run.sink.samples) EXPECT_EQ(s.pid, static_cast<uint32_t>(run.pid));
  for (const auto& m : run.sink.mappings) EXPECT_EQ(m.pid, static_cast<uint32_t>(run.pid));
}

TEST(Collector, FrequencyAboveTheKernelLimitIsAUsageError) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  std::ifstream in("/proc/sys/kernel/perf_event_max_sample_rate");
  uint32_t max_hz = 0;
  in >> max_hz;
  ASSERT_GT(max_hz, 0u);
  CollectorOptions options;
  options.frequency_hz = max_hz + 1;
  auto collector = Collector::open(options);
  ASSERT_FALSE(collector.ok());
  EXPECT_EQ(collector.error().kind, ErrorKind::usage);
  EXPECT_EQ(collector.error().message, "sampling frequency " + std::to_string(max_hz + 1) +
                                           " Hz is above kernel.perf_event_max_sample_rate (" +
                                           std::to_string(max_hz) + ")");
}

TEST(Collector, AbsentPidIsTargetGone) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  auto collector = Collector::open({});
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  pid_t absent = 0x3ffff0;
  while (kill(absent, 0) == 0) --absent;
  auto r = (*collector)->add_target(absent, true);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::target_gone);
  EXPECT_EQ(r.error().message, "process " + std::to_string(absent) + " does not exist");
}

uint64_t schedstat_cpu_ns(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/schedstat");
  uint64_t ns = 0;
  in >> ns;
  return ns;
}

TEST(Collector, AddTargetWithChildrenTakesExistingDescendants) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  // 999 Hz: ~0.5 s of CPU on a loaded machine must still give hundreds of samples.
  const uint32_t hz = 999;
  CollectorOptions options;
  options.frequency_hz = hz;
  auto collector = Collector::open(options);
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  // sh -> hot, both running before the collector knows them.
  std::string out_file =
      std::filesystem::temp_directory_path() / ("lp_collect_existing_" + std::to_string(getpid()));
  auto cmd =
      LaunchedCommand::spawn({"/bin/sh", "-c", "'" + kPrograms + "/hot' 1.5 >'" + out_file + "'; true"});
  ASSERT_TRUE(cmd.ok());
  ASSERT_TRUE(cmd->release().ok());
  pid_t burner = -1;
  for (int i = 0; i < 200 && burner < 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::ifstream children("/proc/" + std::to_string(cmd->pid()) + "/task/" + std::to_string(cmd->pid()) +
                           "/children");
    children >> burner;
    if (!children) burner = -1;
  }
  ASSERT_GT(burner, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // The burner runs while add_target reads /proc: its CPU time at the map
  // insert lies between these two readings.
  uint64_t cpu_before_ns = schedstat_cpu_ns(burner);
  ASSERT_TRUE((*collector)->add_target(cmd->pid(), true).ok());
  uint64_t cpu_after_ns = schedstat_cpu_ns(burner);
  EXPECT_EQ((*collector)->live_targets(), 2u);
  RecordingSink sink;
  while (!cmd->poll_exit()) ASSERT_TRUE((*collector)->poll(sink, 100).ok());
  ASSERT_TRUE((*collector)->stop(sink).ok());
  std::ifstream in(out_file);
  std::stringstream text;
  text << in.rdbuf();
  std::filesystem::remove(out_file);
  auto truth = parse_ground_truth(text.str());
  ASSERT_TRUE(truth.count("hot"));
  ASSERT_EQ(number(truth["hot"], "pid"), burner);
  double total_ns = number(truth["hot"], "total_cpu_ns");
  double expected_low = hz * (total_ns - static_cast<double>(cpu_after_ns)) / 1e9;
  double expected_high = hz * (total_ns - static_cast<double>(cpu_before_ns)) / 1e9;
  // sh mostly waits (it runs briefly to reap the burner and exit).
  EXPECT_EQ(
      sink.samples_of(static_cast<uint32_t>(burner)) + sink.samples_of(static_cast<uint32_t>(cmd->pid())),
      sink.samples.size());
  EXPECT_GE(sink.samples_of(static_cast<uint32_t>(burner)), 0.95 * sink.samples.size());
  EXPECT_GE(static_cast<double>(sink.samples.size()), kCountLow * expected_low);
  EXPECT_LE(static_cast<double>(sink.samples.size()), kCountHigh * expected_high + 5);
  std::printf("FIGURES samples=%zu expected=%.1f..%.1f\n", sink.samples.size(), expected_low, expected_high);
  // Names of the threads already running come from /proc at add_target.
  bool named = false;
  for (const auto& c : sink.comms)
    named |= c.pid == static_cast<uint32_t>(burner) && c.tid == c.pid && c.comm == "hot" && !c.exec;
  EXPECT_TRUE(named);
  // Its mappings came from the /proc snapshot taken by add_target.
  bool mapped = false;
  for (const auto& m : sink.mappings)
    mapped |= m.pid == static_cast<uint32_t>(burner) && m.path == kPrograms + "/hot";
  EXPECT_TRUE(mapped);
  EXPECT_EQ((*collector)->live_targets(), 0u);
}

TEST(Collector, MissingCapabilitiesArePermissionErrors) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  if (geteuid() != 0) GTEST_SKIP() << "dropping capabilities with setpriv needs root";
  std::string cmd =
      "setpriv --inh-caps=-all --bounding-set=-all '" + std::string(LOADPROF_OPEN_PROBE) + "' 2>&1";
  std::unique_ptr<FILE, int (*)(FILE*)> p(popen(cmd.c_str(), "r"), pclose);
  ASSERT_TRUE(p);
  std::string out;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p.get())) out += buf;
  int status = pclose(p.release());
  ASSERT_TRUE(WIFEXITED(status)) << out;
  EXPECT_EQ(WEXITSTATUS(status), 3) << out;
  EXPECT_NE(out.find("kind=permission"), std::string::npos) << out;
  EXPECT_NE(out.find("needs root or CAP_BPF and CAP_PERFMON (missing: CAP_BPF, CAP_PERFMON)"),
            std::string::npos)
      << out;
}

}  // namespace
}  // namespace loadprof::collect

namespace loadprof::collect {
namespace {

uint64_t mono_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

// The stop lands 10-30 ms into a second: that second's samples (taken before
// the stop) must still be accounted, not dropped as "not finished".
TEST(Collector, LastSecondIsAccountedWhenTheStopLandsInItsFirstMoments) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  CollectorOptions options;
  options.frequency_hz = 999;
  auto collector = Collector::open(options);
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  auto cmd = LaunchedCommand::spawn({kPrograms + "/hot", "4"});
  ASSERT_TRUE(cmd.ok());
  RecordingSink sink;
  ASSERT_TRUE((*collector)->add_target(cmd->pid(), true).ok());
  ASSERT_TRUE(cmd->release().ok());
  std::vector<capture::CpuAccounting> rows;
  const uint64_t until = mono_ns() + 1'300'000'000ull;
  while (mono_ns() < until) {
    ASSERT_TRUE((*collector)->poll(sink, 100).ok());
    auto acc = (*collector)->take_accounting();
    rows.insert(rows.end(), acc.begin(), acc.end());
  }
  // Wait for the next second's first moments (samples of it exist by 10 ms at 999 Hz).
  uint64_t now = mono_ns();
  while (now % 1'000'000'000ull < 10'000'000ull || now % 1'000'000'000ull > 30'000'000ull) {
    ASSERT_TRUE((*collector)->poll(sink, 1).ok());
    now = mono_ns();
  }
  const uint64_t stop_second = now / 1'000'000'000ull;
  ASSERT_TRUE((*collector)->stop(sink).ok());
  ASSERT_EQ(mono_ns() / 1'000'000'000ull, stop_second) << "the stop took too long to test this";
  auto acc = (*collector)->take_accounting();
  rows.insert(rows.end(), acc.begin(), acc.end());
  cmd->stop(100);
  uint64_t in_last = 0;
  std::set<std::pair<uint64_t, uint32_t>> seen;
  for (const auto& a : rows) {
    EXPECT_TRUE(seen.insert({a.second_ns, a.cpu}).second) << "second reported twice";
    if (a.second_ns == stop_second * 1'000'000'000ull) in_last += a.target + a.self + a.other + a.idle;
  }
  std::printf("FIGURES last_second_samples=%llu\n", static_cast<unsigned long long>(in_last));
  EXPECT_GT(in_last, 0u) << "the stop's second is missing from the accounting";
}

// Processes that exit while they are being added: none may stay in the BPF
// filter (a later process reusing the pid would be sampled as a target).
TEST(Collector, TargetsThatExitWhileAddedLeaveTheFilter) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  auto collector = Collector::open(CollectorOptions{});
  ASSERT_TRUE(collector.ok()) << collector.error().message;
  RecordingSink sink;
  std::set<uint32_t> tried;
  int added = 0;
  for (int i = 0; i < 300; ++i) {
    pid_t child = fork();
    if (child == 0) {
      // Lives a few hundred microseconds: it dies while loadprof snapshots it.
      const uint64_t end = mono_ns() + 200'000 + static_cast<uint64_t>(i % 7) * 100'000;
      while (mono_ns() < end) {
      }
      _exit(0);
    }
    tried.insert(static_cast<uint32_t>(child));
    added += (*collector)->add_target(child, false).ok();
    int status = 0;
    waitpid(child, &status, 0);
  }
  // Two liveness checks (one per second) see them gone.
  const uint64_t until = mono_ns() + 2'500'000'000ull;
  while (mono_ns() < until) ASSERT_TRUE((*collector)->poll(sink, 100).ok());
  EXPECT_EQ((*collector)->live_targets(), 0u);
  size_t stale = 0;
  for (uint32_t pid : (*collector)->filter_pids()) stale += tried.count(pid);
  std::printf("FIGURES added=%d of 300, left in the filter=%zu\n", added, stale);
  EXPECT_EQ(stale, 0u) << "dead pids left in the BPF target filter";
  ASSERT_TRUE((*collector)->stop(sink).ok());
}

// The cpu-clock events route their THROTTLE records into the sideband rings.
TEST(Collector, ThrottleRecordsAreRoutedAndStealIsBounded) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  ProgramRun run;
  ASSERT_NO_FATAL_FAILURE(run_program("hot", "2", 499, run));
  ASSERT_FALSE(run.accounting.empty());
  for (const auto& a : run.accounting) {
    EXPECT_LE(a.steal_ns, 1'000'000'000u) << "more than a second of steal in a second";
    EXPECT_LE(a.throttled_ns, 1'000'000'000u);
  }
  auto collector = Collector::open(CollectorOptions{});
  ASSERT_TRUE(collector.ok());
  EXPECT_TRUE((*collector)->throttling_recorded());
}

}  // namespace
}  // namespace loadprof::collect
