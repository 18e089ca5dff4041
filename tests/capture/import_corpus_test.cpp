// Replays tests/capture/import_corpus/ (the import fuzz target's seeds and any
// finding added later) through the fuzz target's body with the default
// compiler, and checks that the corpus holds accepted and refused inputs of
// both formats, so the replay exercises both paths.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "capture/fuzz_import_body.h"

namespace loadprof::capture {
namespace {

TEST(ImportCorpus, ReplaysEveryInput) {
  int perf_ok = 0, perf_bad = 0, folded_ok = 0, folded_bad = 0;
  for (const auto& e : std::filesystem::directory_iterator(LOADPROF_IMPORT_CORPUS)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string in((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    fuzz::fuzz_import(reinterpret_cast<const uint8_t*>(in.data()), in.size());
    (import_perf_script(in).ok() ? perf_ok : perf_bad) += 1;
    (import_folded(in, fuzz::kFuzzMaxSamples).ok() ? folded_ok : folded_bad) += 1;
  }
  EXPECT_GE(perf_ok, 8);
  EXPECT_GE(perf_bad, 5);
  EXPECT_GE(folded_ok, 2);
  EXPECT_GE(folded_bad, 2);
}

}  // namespace
}  // namespace loadprof::capture
