// libFuzzer target for the .lpc reader (built with -DLOADPROF_FUZZ=ON, clang).
//   build/tests/capture/fuzz_capture_reader tests/capture/corpus/
#include <cstddef>
#include <cstdint>

#include "capture/fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loadprof::capture::fuzz::fuzz_one_input(data, size);
  return 0;
}
