// libFuzzer target for the folded parser, layout and SVG writer (built with
// -DLOADPROF_FUZZ=ON and clang). Run:
//   build-fuzz/tests/flamegraph/fuzz_folded tests/flamegraph/corpus
// New inputs worth keeping go into tests/flamegraph/corpus, which the normal
// test suite replays.
#include <cstdint>
#include <cstdio>
#include <cstdlib>

#include "invariants.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t chunk = 1 + data[0] % 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::string broken = loadprof::flamegraph::testing::check_invariants(input, chunk);
  if (!broken.empty()) {
    std::fprintf(stderr, "invariant broken: %s\n", broken.c_str());
    std::abort();
  }
  return 0;
}
