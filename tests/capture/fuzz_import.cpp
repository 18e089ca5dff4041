// libFuzzer target for the perf-script and folded importers (-DLOADPROF_FUZZ=ON, clang).
//   build/tests/capture/fuzz_import tests/capture/import_corpus/
#include <cstddef>
#include <cstdint>

#include "capture/fuzz_import_body.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  loadprof::capture::fuzz::fuzz_import(data, size);
  return 0;
}
