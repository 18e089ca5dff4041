// libFuzzer target for the --url and -H parsers (-DLOADPROF_FUZZ=ON, clang).
#include "url_header_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz_url_header(data, size);
  return 0;
}
