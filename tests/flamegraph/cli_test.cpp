// `loadprof flamegraph` as a user runs it: the real binary, its exit codes,
// its messages, and the SVG it writes.
#include <gtest/gtest.h>

#include <unistd.h>

#include <string>

#include "svg_frames.h"

namespace loadprof::flamegraph {
namespace {

using testing::find_frame;
using testing::read_text_file;
using testing::svg_frames;
using testing::write_text_file;

struct Run {
  int exit_code;
  std::string err;
};

const std::string kBin = std::string(LOADPROF_BINARY_DIR) + "/src/cli/loadprof";
const std::string kData = std::string(LOADPROF_SOURCE_DIR) + "/tests/flamegraph/data/";

// Per process: ctest runs each test in its own process, two at a time, and a
// shared name let one test read another's stderr.
std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "loadprof_cli_" + std::to_string(getpid()) + "_" + name;
}

Run run(const std::string& args) {
  const std::string err = tmp("stderr.txt");
  int rc = testing::run_shell(kBin + " flamegraph " + args + " 2>'" + err + "'");
  return {rc, read_text_file(err)};
}

TEST(FlamegraphCli, RendersAFoldedFile) {
  auto r =
      run("'" + kData + "simple.folded' --title 'checkout service' --output '" + tmp("simple.svg") + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  std::string svg = read_text_file(tmp("simple.svg"));
  EXPECT_NE(svg.find(">checkout service</text>"), std::string::npos);
  auto frames = svg_frames(svg);
  ASSERT_NE(find_frame(frames, "handle_request", 3), nullptr);
  EXPECT_EQ(find_frame(frames, "handle_request", 3)->count, 70u);
  EXPECT_EQ(find_frame(frames, "all", 0)->count, 100u);
}

TEST(FlamegraphCli, WarnsAboutJunkLinesAndKeepsTheRest) {
  write_text_file(tmp("junk.folded"), "main;a 5\nthis is not folded\nmain;b 12x\nmain;c 5\n");
  auto r = run("'" + tmp("junk.folded") + "' --output '" + tmp("junk.svg") + "'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("skipped 2 line(s)"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("line 2: 'this is not folded'"), std::string::npos) << r.err;
  EXPECT_EQ(find_frame(svg_frames(read_text_file(tmp("junk.svg"))), "all", 0)->count, 10u);
}

TEST(FlamegraphCli, RejectsInputWithoutStacks) {
  write_text_file(tmp("nothing.folded"), "hello\nworld\n");
  auto r = run("'" + tmp("nothing.folded") + "' --output '" + tmp("nothing.svg") + "'");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no stack counts found"), std::string::npos) << r.err;
}

TEST(FlamegraphCli, UsageErrorsExitTwo) {
  EXPECT_EQ(run("--output x.svg").exit_code, 2);  // no input
  auto two = run("'" + kData + "simple.folded' '" + kData + "base.folded' --output " + tmp("x.svg"));
  EXPECT_EQ(two.exit_code, 2);
  EXPECT_NE(two.err.find("unexpected argument '" + kData + "base.folded'"), std::string::npos) << two.err;
  EXPECT_EQ(run("'" + kData + "simple.folded' --inv --output " + tmp("x.svg")).exit_code,
            2);  // no abbreviations
  auto kind = run("'" + kData + "simple.folded' --kind gpu --output " + tmp("x.svg"));
  EXPECT_EQ(kind.exit_code, 2);
  EXPECT_NE(kind.err.find("unknown kind 'gpu'"), std::string::npos) << kind.err;
  auto missing = run("/nonexistent/in.folded --output " + tmp("x.svg"));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("open /nonexistent/in.folded: No such file or directory"), std::string::npos)
      << missing.err;
  EXPECT_EQ(run("'" + kData + "simple.folded' --min-width -1 --output " + tmp("x.svg")).exit_code, 2);
}

TEST(FlamegraphCli, CorruptCaptureInputIsExit2WithOffset) {
  // Capture input is read by the capture reader (tests/record and tests/report
  // render real captures); a broken one is refused with the offset.
  write_text_file(tmp("cap.lpc"), std::string("LPC\0\1\0\0\0", 8));
  auto r = run("'" + tmp("cap.lpc") + "' --kind cpu --output " + tmp("cap.svg"));
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("offset"), std::string::npos) << r.err;
  auto d = run("'" + kData + "simple.folded' --diff '" + tmp("cap.lpc") + "' --output " + tmp("cap.svg"));
  EXPECT_EQ(d.exit_code, 2);
  EXPECT_NE(d.err.find("offset"), std::string::npos) << d.err;
}

TEST(FlamegraphCli, DifferentialIcicleAndMinWidth) {
  auto r = run("'" + kData + "simple.folded' --diff '" + kData + "base.folded' --output '" + tmp("diff.svg") +
               "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string diff = read_text_file(tmp("diff.svg"));
  EXPECT_NE(diff.find("data-diff=\"1\""), std::string::npos);
  EXPECT_NE(diff.find("class=\"fg-legend\""), std::string::npos);
  auto frames = svg_frames(diff);
  const auto* parse = find_frame(frames, "parse_json", 4);                         // 40% -> 25%: shrank
  const auto* query = find_frame(frames, "db::query(std::string const&amp;)", 4);  // 15% -> 25%: grew
  ASSERT_TRUE(parse && query);
  EXPECT_GT(parse->b, parse->r);
  EXPECT_GT(query->r, query->b);

  r = run("'" + kData + "simple.folded' --inverted --min-width 12 --kind offcpu --output '" +
          tmp("icicle.svg") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::string icicle = read_text_file(tmp("icicle.svg"));
  EXPECT_NE(icicle.find("data-inverted=\"1\""), std::string::npos);
  EXPECT_NE(icicle.find(">Icicle Graph</text>"), std::string::npos);
  EXPECT_NE(icicle.find("data-elided=\"1\""), std::string::npos);  // "tiny": 11.8 px < 12 px
  EXPECT_EQ(find_frame(svg_frames(icicle), "tiny", 3), nullptr);
  EXPECT_NE(icicle.find("(12 ns, 12.00%)"), std::string::npos);  // offcpu counts are ns
}

TEST(FlamegraphCli, WritesStdoutWithoutOutput) {
  const std::string out = tmp("default_stdout.svg");
  int rc = testing::run_shell(kBin + " flamegraph '" + kData + "simple.folded' > '" + out + "' 2>/dev/null");
  EXPECT_EQ(rc, 0);
  auto frames = svg_frames(read_text_file(out));
  ASSERT_NE(find_frame(frames, "all", 0), nullptr);
  EXPECT_EQ(find_frame(frames, "all", 0)->count, 100u);
}

TEST(FlamegraphCli, AcceptsFractionalCounts) {
  write_text_file(tmp("fraction.folded"), "main;a 2.5\nmain;b 1\n");
  auto r = run("'" + tmp("fraction.folded") + "' --output '" + tmp("fraction.svg") + "'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.err, "");  // no line skipped
  EXPECT_NE(read_text_file(tmp("fraction.svg")).find("<title>a (2.5 samples, 71.43%)</title>"),
            std::string::npos);
}

TEST(FlamegraphCli, BinaryInputIsDescribedNotPrinted) {
  write_text_file(tmp("binary.folded"), std::string("main;a 5\n\x7f"
                                                    "ELF\x02\x01\x01\0\0\x1b[31mred\nmain;b 3\n",
                                                    36));
  auto r = run("'" + tmp("binary.folded") + "' --output '" + tmp("binary.svg") + "'");
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.err.find("(line 2: binary data '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x1b[31mred')"),
            std::string::npos)
      << r.err;
  for (char c : r.err)
    EXPECT_TRUE(c == '\n' || (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f)) << int(c);
}

TEST(FlamegraphCli, ReadsStdinAndWritesStdout) {
  const std::string out = tmp("stdout.svg");
  int rc =
      testing::run_shell("printf 'a;b 3\\na;c 1\\n' | " + kBin + " flamegraph - --output - > '" + out + "'");
  EXPECT_EQ(rc, 0);
  auto frames = svg_frames(read_text_file(out));
  ASSERT_NE(find_frame(frames, "b", 2), nullptr);
  EXPECT_EQ(find_frame(frames, "b", 2)->count, 3u);
}

}  // namespace
}  // namespace loadprof::flamegraph
