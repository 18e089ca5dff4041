// libFuzzer target for the scenario parser and the capture code (-DLOADPROF_FUZZ=ON, clang).
#include "scenario_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_scenario(data, size);
  return 0;
}
