// libFuzzer target for the --slo parser (-DLOADPROF_FUZZ=ON, clang).
#include "slo_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_slo(data, size);
  return 0;
}
