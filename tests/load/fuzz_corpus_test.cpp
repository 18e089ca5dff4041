// Replays the HTTP parser's fuzz corpus through the fuzz target's body with
// the default compiler, plus every split point of each input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "fuzz/http_response_fuzz.h"

TEST(HttpResponseFuzzCorpus, ReplaysEveryInputAtEverySplit) {
  std::filesystem::path dir = std::filesystem::path(LOADPROF_SOURCE_DIR) / "tests/load/fuzz/corpus/http_response";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    std::ifstream f(e.path(), std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
    ++files;
    for (int selector = 0; selector < 256; ++selector) {
      if (data.empty()) break;
      data[0] = static_cast<char>(selector);
      fuzz_http_response(reinterpret_cast<const uint8_t*>(data.data()), data.size());
    }
  }
  EXPECT_GE(files, 8);
}
