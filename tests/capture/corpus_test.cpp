// Corpus replay: every file in tests/capture/corpus/ (the fuzzer's seeds and
// any finding added later) goes through the fuzz target's body under the
// default compiler; seeds listed in corpus/EXPECTED must give their outcome.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "capture/capture_fixture.h"
#include "capture/fuzz_body.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture {
namespace {

struct Expected {
  std::string outcome;
  uint64_t samples = 0;
  uint64_t chunks = 0;
};

std::map<std::string, Expected> load_expected() {
  std::map<std::string, Expected> out;
  std::ifstream in(std::string(LOADPROF_CAPTURE_CORPUS) + "/EXPECTED");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ss(line);
    std::string name;
    Expected e;
    ss >> name >> e.outcome >> e.samples >> e.chunks;
    out[name] = e;
  }
  return out;
}

TEST(CaptureCorpus, ReplayEveryFile) {
  auto expected = load_expected();
  ASSERT_GE(expected.size(), 10u);
  size_t replayed = 0, checked = 0;
  for (const auto& entry : std::filesystem::directory_iterator(LOADPROF_CAPTURE_CORPUS)) {
    std::string name = entry.path().filename().string();
    if (name == "EXPECTED" || name == "README.md") continue;
    SCOPED_TRACE(name);
    std::string bytes = testing::read_file(entry.path().string());
    fuzz::fuzz_one_input(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    ++replayed;
    auto it = expected.find(name);
    if (it == expected.end()) continue;
    auto r = read_capture_bytes(bytes);
    std::string outcome = !r.ok() ? "corrupt" : r->read_info.truncated ? "truncated" : "ok";
    EXPECT_EQ(outcome, it->second.outcome);
    if (r.ok()) {
      EXPECT_EQ(r->cpu_samples.size(), it->second.samples);
      EXPECT_EQ(r->read_info.chunks_read, it->second.chunks);
    } else {
      EXPECT_EQ(r.error().kind, ErrorKind::corrupt_input);
    }
    ++checked;
  }
  EXPECT_EQ(checked, expected.size()) << "a seed listed in EXPECTED is missing";
  EXPECT_GE(replayed, checked);
}

// The seeds' expectations are not just whatever the reader said when they were
// generated: pin the ones the format rules decide.
TEST(CaptureCorpus, SeedOutcomesFollowTheRules) {
  auto expected = load_expected();
  EXPECT_EQ(expected["valid-full"].outcome, "ok");
  EXPECT_EQ(expected["valid-full"].samples, 64u);
  EXPECT_EQ(expected["valid-no-end"].outcome, "ok");
  EXPECT_EQ(expected["valid-no-end"].samples, 64u);
  EXPECT_EQ(expected["valid-unknown-chunk"].outcome, "ok");
  EXPECT_EQ(expected["valid-unknown-chunk"].samples, 64u);
  // Damage in the second samples chunk: the first batch (32 samples) survives.
  for (const char* name : {"truncated-mid-samples", "truncated-chunk-header", "damaged-bitflip-samples"}) {
    EXPECT_EQ(expected[name].outcome, "truncated") << name;
    EXPECT_EQ(expected[name].samples, 32u) << name;
  }
  for (const char* name :
       {"corrupt-header-only", "corrupt-short-header", "corrupt-garbage-text", "corrupt-empty"}) {
    EXPECT_EQ(expected[name].outcome, "corrupt") << name;
  }
}

}  // namespace
}  // namespace loadprof::capture
