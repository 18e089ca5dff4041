// libFuzzer target for the HTTP response parser (-DLOADPROF_FUZZ=ON, clang).
#include "http_response_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_http_response(data, size);
  return 0;
}
