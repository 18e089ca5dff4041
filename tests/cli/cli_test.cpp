// The command-line contract of SPEC.md: unknown and abbreviated flags are
// refused (with the flag meant suggested), no argument is silently ignored,
// -h and -v work for every command, features not built yet answer "not
// available yet" with exit 2 and are marked so in the help.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <iterator>
#include <sstream>

#include "support/privilege.h"
#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;

namespace {

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(Cli, UnknownCommandAndFlagExit2) {
  EXPECT_EQ(run({loadprof_binary(), "frobnicate"}).exit_code, 2);
  auto r = run({loadprof_binary(), "record", "--bogus", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("bogus"), std::string::npos) << r.err;
}

TEST(Cli, AbbreviatedFlagsAreRefused) {
  auto r = run({loadprof_binary(), "record", "--dur", "1", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  auto r2 = run({loadprof_binary(), "record", "--freq", "99", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(r2.exit_code, 2) << r2.err;
}

TEST(Cli, RecordValidatesValuesBeforeTouchingTheSystem) {
  auto dur = run({loadprof_binary(), "record", "--duration", "ten", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(dur.exit_code, 2);
  EXPECT_NE(dur.err.find("--duration"), std::string::npos) << dur.err;
  EXPECT_EQ(run({loadprof_binary(), "record", "--output", "/tmp/x.lpc"}).exit_code, 2);
  auto min = run({loadprof_binary(), "record", "--probes", "cpu,offcpu", "--offcpu-min", "short", "--output",
                  "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(min.exit_code, 2);
  EXPECT_NE(min.err.find("--offcpu-min"), std::string::npos) << min.err;
  auto wakers = run({loadprof_binary(), "record", "--offcpu-wakers", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(wakers.exit_code, 2);
  EXPECT_NE(wakers.err.find("--offcpu-wakers needs --probes offcpu"), std::string::npos) << wakers.err;
  auto slow = run({loadprof_binary(), "record", "--probes", "cpu,io", "--io-slow", "0", "--output",
                   "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(slow.exit_code, 2);
  EXPECT_NE(slow.err.find("--io-slow"), std::string::npos) << slow.err;
  EXPECT_EQ(run({loadprof_binary(), "record", "--pid", "abc", "--output", "/tmp/x.lpc"}).exit_code, 2);
  EXPECT_EQ(run({loadprof_binary(), "record", "--pid", "1", "--", "true"}).exit_code, 2)
      << "--pid and a command";
}

// --probes alloc -- CMD needs the preload library: without it, one line naming it and exit 2.
TEST(Cli, AllocPreloadLibraryMissingSaysSoWithExit2) {
  if (geteuid() != 0) GTEST_SKIP() << "the collector opens before the library is looked for: needs root";
  auto r = run({"env", "LOADPROF_ALLOC_PRELOAD=/nonexistent/libloadprof_alloc.so", loadprof_binary(),
                "record", "--probes", "alloc", "--output", "/tmp/x.lpc", "--", "true"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("LOADPROF_ALLOC_PRELOAD=/nonexistent/libloadprof_alloc.so"), std::string::npos)
      << r.err;
}

TEST(Cli, ExtraArgumentsAreErrorsNamingThem) {
  // Live PIDs (this test and its parent): before, the first was recorded and the second ignored, exit 0.
  const std::string me = std::to_string(getpid()), parent = std::to_string(getppid());
  auto two =
      run({loadprof_binary(), "record", "--pid", me, parent, "--duration", "0.2s", "--output", "/tmp/x.lpc"});
  EXPECT_EQ(two.exit_code, 2) << two.err;
  EXPECT_TRUE(contains(two.err, "unexpected argument '" + parent + "'")) << two.err;
  EXPECT_TRUE(contains(two.err, "--pid " + me + "," + parent)) << two.err;
  auto word =
      run({loadprof_binary(), "record", "--pid", me, "foo", "--duration", "0.2s", "--output", "/tmp/x.lpc"});
  EXPECT_EQ(word.exit_code, 2) << word.err;
  EXPECT_TRUE(contains(word.err, "unexpected argument 'foo'")) << word.err;
  EXPECT_TRUE(contains(word.err, "goes after --")) << word.err;
  auto load =
      run({loadprof_binary(), "load", "http://127.0.0.1:1/", "http://127.0.0.1:2/", "--duration", "1s"});
  EXPECT_EQ(load.exit_code, 2) << load.err;
  EXPECT_TRUE(contains(load.err, "unexpected argument 'http://127.0.0.1:2/'")) << load.err;
  auto report = run({loadprof_binary(), "report", "a.lpc", "b.lpc"});
  EXPECT_EQ(report.exit_code, 2) << report.err;
  EXPECT_TRUE(contains(report.err, "unexpected argument 'b.lpc'")) << report.err;
  auto flame = run({loadprof_binary(), "flamegraph", "a.folded", "b.folded", "c.folded"});
  EXPECT_EQ(flame.exit_code, 2) << flame.err;
  EXPECT_TRUE(contains(flame.err, "unexpected arguments 'b.folded' 'c.folded'")) << flame.err;
}

TEST(Cli, TyposGetADidYouMean) {
  auto cmd = run({loadprof_binary(), "recrod", "--pid", "1"});
  EXPECT_EQ(cmd.exit_code, 2);
  EXPECT_TRUE(contains(cmd.err, "unknown command 'recrod'; did you mean 'record'?")) << cmd.err;
  auto flag = run({loadprof_binary(), "record", "--duraton", "1", "--", "true"});
  EXPECT_EQ(flag.exit_code, 2);
  EXPECT_TRUE(contains(flag.err, "did you mean --duration?")) << flag.err;
  auto load = run({loadprof_binary(), "load", "http://127.0.0.1:1/", "--conections", "4"});
  EXPECT_EQ(load.exit_code, 2);
  EXPECT_TRUE(contains(load.err, "did you mean --connections?")) << load.err;
  // An abbreviation stays refused; the message names the flag in full.
  auto abbrev = run({loadprof_binary(), "record", "--freq", "99", "--", "true"});
  EXPECT_EQ(abbrev.exit_code, 2);
  EXPECT_TRUE(contains(abbrev.err, "did you mean --frequency? (flags are spelled in full)")) << abbrev.err;
  // Nothing close: no guess.
  auto far = run({loadprof_binary(), "record", "--xyzzy", "--", "true"});
  EXPECT_EQ(far.exit_code, 2);
  EXPECT_FALSE(contains(far.err, "did you mean")) << far.err;
  EXPECT_TRUE(contains(run({loadprof_binary(), "--verbsoe"}).err, "did you mean --verbose?"));
}

TEST(Cli, HelpForEveryCommandAndVerboseAfterTheCommand) {
  for (const char* cmd :
       {"record", "load", "report", "flamegraph", "bench", "diff", "check", "demo", "import"}) {
    for (const char* h : {"-h", "--help"}) {
      auto r = run({loadprof_binary(), cmd, h});
      EXPECT_EQ(r.exit_code, 0) << cmd << " " << h << ": " << r.err;
      EXPECT_TRUE(contains(r.out, std::string("usage: loadprof ") + cmd)) << cmd << " " << h << ": " << r.out;
    }
  }
  // -v after the command raises the level as before it: the info line appears.
  const std::string folded = std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/data/simple.folded";
  for (std::vector<std::string> args :
       {std::vector<std::string>{"flamegraph", "-v", folded, "--output", "/dev/null"},
        std::vector<std::string>{"-v", "flamegraph", folded, "--output", "/dev/null"}}) {
    args.insert(args.begin(), loadprof_binary());
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.err, "loadprof: wrote /dev/null")) << r.err;
  }
  auto quiet = run({loadprof_binary(), "flamegraph", folded, "--output", "/dev/null"});
  EXPECT_EQ(quiet.err, "");
  auto record = run({loadprof_binary(), "record", "-v", "--pid", "abc"});
  EXPECT_EQ(record.exit_code, 2);
  EXPECT_TRUE(contains(record.err, "invalid --pid 'abc'")) << record.err;
}

TEST(Cli, CompoundDurationsAndTheAcceptedFormsInTheError) {
  auto bad = run({loadprof_binary(), "record", "--duration", "1m30", "--", "true"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_TRUE(contains(bad.err, "invalid duration '1m30' (accepted: 10s, 250ms, 1.5m, 1m30s, 1h30m;"))
      << bad.err;
  // Accepted: the run gets as far as the (refused, loopback) connection: exit 4, not 2.
  auto ok =
      run({loadprof_binary(), "load", "http://127.0.0.1:1/", "--timeout", "1m30s", "--duration", "0m1s"});
  EXPECT_EQ(ok.exit_code, 4) << ok.err;
  EXPECT_FALSE(contains(ok.err, "invalid duration")) << ok.err;
}

TEST(Cli, HelpMarksTheCommandsNotAvailableYet) {
  auto help = run({loadprof_binary(), "--help"});
  ASSERT_EQ(help.exit_code, 0);
  // Every command line of the help: the marked ones answer "not available yet", the others run.
  std::istringstream lines(help.out);
  std::string line;
  int marked = 0, built = 0;
  while (std::getline(lines, line)) {
    if (line.size() < 3 || line.compare(0, 2, "  ") != 0 || line[2] == ' ') continue;
    const std::string cmd = line.substr(2, line.find(' ', 2) - 2);
    const bool not_yet = contains(line, "(not available yet)");
    if (cmd == "demo") {  // the one command that runs without arguments (a 60 s load): tests/demo
      EXPECT_FALSE(not_yet) << line;
      ++built;
      continue;
    }
    auto r = run({loadprof_binary(), cmd});
    EXPECT_EQ(r.exit_code, 2) << cmd;
    EXPECT_EQ(contains(r.err, "not available yet: loadprof " + cmd), not_yet) << cmd << ": " << r.err;
    (not_yet ? marked : built) += 1;
  }
  EXPECT_EQ(marked, 0) << help.out;  // every command of the contract is built
  EXPECT_GE(built, 9) << help.out;   // record, load, bench, report, flamegraph, diff, check, demo, import
  EXPECT_TRUE(
      contains(help.out, "demo        built-in service with planted bottlenecks, loaded, profiled, reported"))
      << help.out;
  EXPECT_FALSE(contains(help.out, "sample a running process or a command into a capture (not")) << help.out;
}

TEST(Cli, RecordWithoutOutputWritesLoadprofLpcKeepingThePreviousOne) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const std::string dir = loadprof::testing::temp_dir();
  { std::ofstream(dir + "/loadprof.lpc") << "previous capture"; }
  auto r = run({"sh", "-c",
                "cd '" + dir + "' && exec '" + loadprof_binary() + "' record --duration 0.3s -- sleep 0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.err, "-> loadprof.lpc")) << r.err;
  EXPECT_EQ(read_file(dir + "/loadprof.lpc.old"), "previous capture");
  EXPECT_EQ(read_file(dir + "/loadprof.lpc").substr(0, 3), "LPC");
  // Once more: the capture just written becomes the .old one.
  const std::string first = read_file(dir + "/loadprof.lpc");
  r = run({"sh", "-c",
           "cd '" + dir + "' && exec '" + loadprof_binary() + "' record --duration 0.3s -- sleep 0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir + "/loadprof.lpc.old"), first);
  // An explicit --output is written as given, nothing renamed.
  r = run({"sh", "-c",
           "cd '" + dir + "' && exec '" + loadprof_binary() +
               "' record --duration 0.3s --output loadprof.lpc -- sleep 0.1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(read_file(dir + "/loadprof.lpc.old"), first);
}

// The report's command line can be typed back into a shell (quotes kept), and
// a launched command whose exit ended the capture is not said to have
// "exited mid-capture" (it is how the capture ended).
TEST(Cli, RecordedCommandLineIsShellQuotedAndALaunchedExitEndsTheCapture) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  const std::string dir = loadprof::testing::temp_dir();
  const std::string lpc = dir + "/q.lpc";
  auto r = run({loadprof_binary(), "record", "--duration", "10s", "--output", lpc, "--", "bash", "-c",
                "for i in 1 2 3; do echo \"it's $i\" > /dev/null; done"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto md = run({loadprof_binary(), "report", lpc});
  ASSERT_EQ(md.exit_code, 0) << md.err;
  const std::string want = "bash -c 'for i in 1 2 3; do echo \"it'\\''s $i\" > /dev/null; done'";
  EXPECT_TRUE(contains(md.out, want)) << "want " << want << " in\n" << md.out.substr(0, 1500);
  EXPECT_FALSE(contains(md.out, "exited mid-capture")) << md.out.substr(0, 1500);
  EXPECT_TRUE(contains(md.out, "Every target process had exited")) << md.out.substr(0, 1500);
}

// README's claim: node started with --perf-basic-prof has its JIT frames named
// (from /tmp/perf-PID.map). A busy JS function must hold most of the samples
// by name, under its JS caller.
TEST(Cli, NodeJitFramesAreNamedWithPerfBasicProf) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  if (::access("/usr/bin/node", X_OK) != 0) GTEST_SKIP() << "node is not installed";
  const std::string dir = loadprof::testing::temp_dir();
  const std::string lpc = dir + "/node.lpc";
  const std::string js =
      "function busyLoop(){let x=0;for(let i=0;i<1e6;i++){x+=Math.sqrt(i)}return x}"
      "function spin(){const end=Date.now()+20000;let s=0;while(Date.now()<end){s+=busyLoop()}return "
      "s}spin()";
  auto rec = run({loadprof_binary(), "record", "--duration", "3s", "--output", lpc, "--", "/usr/bin/node",
                  "--perf-basic-prof", "--interpreted-frames-native-stack", "-e", js});
  ASSERT_EQ(rec.exit_code, 0) << rec.err;
  auto folded = run({loadprof_binary(), "report", lpc, "--format", "folded"});
  ASSERT_EQ(folded.exit_code, 0) << folded.err;
  uint64_t total = 0, named = 0, under_spin = 0;
  std::istringstream lines(folded.out);
  std::string line;
  while (std::getline(lines, line)) {
    const uint64_t n = std::stoull(line.substr(line.rfind(' ') + 1));
    total += n;
    if (contains(line, ";JS:*busyLoop [eval]:1:") || contains(line, ";JS:~busyLoop [eval]:1:")) named += n;
    if (contains(line, ";JS:~spin [eval]:1:") || contains(line, ";JS:*spin [eval]:1:")) under_spin += n;
  }
  ASSERT_GT(total, 0u) << rec.err;
  // The rest is node's start-up and V8's compiler threads.
  EXPECT_GE(named * 2, total) << named << " of " << total << " samples in busyLoop\n"
                              << folded.out.substr(0, 2000);
  EXPECT_GE(under_spin * 2, total) << under_spin << " of " << total;
}
