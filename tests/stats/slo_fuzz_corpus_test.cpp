// Replays the --slo fuzz corpus through the fuzz target's body with the
// default compiler (a broken invariant aborts the test).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "stats/fuzz/slo_fuzz.h"

TEST(SloFuzzCorpus, ReplaysEveryInput) {
  int good = 0, bad = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(LOADPROF_SOURCE_DIR) /
                                                           "tests/stats/fuzz/corpus/slo")) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    fuzz_slo(reinterpret_cast<const uint8_t*>(in.data()), in.size());
    (loadprof::stats::parse_slo(in).ok() ? good : bad)++;
  }
  EXPECT_GE(good, 5);
  EXPECT_GE(bad, 5);
}
