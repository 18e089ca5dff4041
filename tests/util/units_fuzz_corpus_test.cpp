// Replays the unit parsers' fuzz corpus through the fuzz target's body with
// the default compiler (a broken invariant aborts the test).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "util/fuzz/units_fuzz.h"

TEST(UnitsFuzzCorpus, ReplaysEveryInput) {
  int durations = 0, sizes = 0, bad = 0;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(LOADPROF_SOURCE_DIR) /
                                                           "tests/util/fuzz/corpus/units")) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    fuzz_units(reinterpret_cast<const uint8_t*>(in.data()), in.size());
    bool d = loadprof::parse_duration_ns(in).ok(), s = loadprof::parse_size_bytes(in).ok();
    durations += d;
    sizes += s;
    bad += !d && !s;
  }
  EXPECT_GE(durations, 5);
  EXPECT_GE(sizes, 5);
  EXPECT_GE(bad, 5);
}
