// libFuzzer target for the --stages parser and the schedule built from it (-DLOADPROF_FUZZ=ON, clang).
#include "stages_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_stages(data, size);
  return 0;
}
