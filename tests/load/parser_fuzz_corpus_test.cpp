// Replays the --stages and --url/-H fuzz corpora through the fuzz targets'
// bodies with the default compiler (a broken invariant aborts the test), and
// checks that the corpora hold both accepted and rejected inputs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "load/fuzz/stages_fuzz.h"
#include "load/fuzz/url_header_fuzz.h"

namespace {
std::vector<std::string> corpus(const char* relative_dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::filesystem::path(LOADPROF_SOURCE_DIR) / relative_dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    out.emplace_back(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  }
  return out;
}
const uint8_t* bytes(const std::string& s) { return reinterpret_cast<const uint8_t*>(s.data()); }
}  // namespace

TEST(StagesFuzzCorpus, ReplaysEveryInput) {
  int good = 0, bad = 0;
  for (const auto& in : corpus("tests/load/fuzz/corpus/stages")) {
    fuzz_stages(bytes(in), in.size());
    (loadprof::load::parse_stages(in).ok() ? good : bad)++;
  }
  EXPECT_GE(good, 5);
  EXPECT_GE(bad, 5);
}

TEST(UrlHeaderFuzzCorpus, ReplaysEveryInput) {
  int urls = 0, headers = 0, rejected = 0;
  for (const auto& in : corpus("tests/load/fuzz/corpus/url_header")) {
    fuzz_url_header(bytes(in), in.size());
    bool url = loadprof::load::parse_url(in).ok(), header = loadprof::load::parse_header(in).ok();
    urls += url;
    headers += header;
    rejected += !url && !header;
  }
  EXPECT_GE(urls, 5);
  EXPECT_GE(headers, 5);
  EXPECT_GE(rejected, 5);
}
