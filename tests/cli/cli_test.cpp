// The command-line contract of SPEC.md: unknown and abbreviated flags are
// refused, features not built yet answer "not available yet" with exit 2.
#include <gtest/gtest.h>

#include "support/run.h"

using loadprof::testing::loadprof_binary;
using loadprof::testing::run;

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
  EXPECT_EQ(run({loadprof_binary(), "record", "--pid", "abc", "--output", "/tmp/x.lpc"}).exit_code, 2);
  EXPECT_EQ(run({loadprof_binary(), "record", "--pid", "1", "--", "true"}).exit_code, 2) << "needs --output";
}

TEST(Cli, FeaturesNotBuiltYetSaySoWithExit2) {
  for (std::vector<std::string> args : {
           std::vector<std::string>{"record", "--probes", "cpu,offcpu", "--output", "/tmp/x.lpc", "--", "true"},
           std::vector<std::string>{"record", "--unwind", "dwarf", "--output", "/tmp/x.lpc", "--", "true"},
           std::vector<std::string>{"bench", "http://127.0.0.1:1/", "--output", "/tmp/x.lpc"},
           std::vector<std::string>{"diff", "a.lpc", "b.lpc"},
           std::vector<std::string>{"check", "a.lpc", "--slo", "p99<1"},
           std::vector<std::string>{"demo"}}) {
    args.insert(args.begin(), loadprof_binary());
    auto r = run(args);
    EXPECT_EQ(r.exit_code, 2) << args[1];
    EXPECT_NE(r.err.find("not available yet"), std::string::npos) << args[1] << ": " << r.err;
  }
}
