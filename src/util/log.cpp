// stderr logger with a process-wide level.
#include "loadprof/util/log.h"

#include <atomic>
#include <cstdio>
#include <string>

namespace loadprof::log {
namespace {
std::atomic<Level> g_level{Level::warn};
const char* prefix(Level l) {
  switch (l) {
    case Level::error: return "loadprof: error: ";
    case Level::warn: return "loadprof: warning: ";
    case Level::info: return "loadprof: ";
    case Level::debug: return "loadprof: debug: ";
  }
  return "";
}
}  // namespace

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void write(Level l, std::string_view message) {
  if (static_cast<int>(l) > static_cast<int>(g_level.load())) return;
  std::string line = prefix(l);
  line.append(message);
  line.push_back('\n');
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace loadprof::log
