// Opens a Collector and reports the outcome on stdout: the permission test runs
// this with every capability dropped (setpriv) and checks the error.
#include <cstdio>

#include "loadprof/collect/collector.h"
#include "loadprof/util/exit_codes.h"

int main() {
  auto collector = loadprof::collect::Collector::open({});
  if (collector.ok()) {
    std::printf("opened\n");
    return 0;
  }
  const auto& e = collector.error();
  std::printf("kind=%s message=%s\n", e.kind == loadprof::ErrorKind::permission ? "permission" : "other",
              e.message.c_str());
  return loadprof::exit_code_for(e.kind);
}
