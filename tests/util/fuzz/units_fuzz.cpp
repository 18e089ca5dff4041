// libFuzzer target for the duration, size and number parsers (-DLOADPROF_FUZZ=ON, clang).
#include "units_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_units(data, size);
  return 0;
}
