// The symbolizer's tables without ELF files: /proc/PID/maps parsing, the
// time-versioned mapping table, and JIT perf maps through the seam.
#include <gtest/gtest.h>

#include <map>

#include "loadprof/symbolize/proc_maps.h"
#include "loadprof/symbolize/symbolizer.h"
#include "symbolize/map_table.h"
#include "symbolize/perf_map.h"

namespace loadprof::symbolize {
namespace {

TEST(SymbolizeProcMaps, ParsesEveryField) {
  auto maps = parse_proc_maps(
      "55d0c7a00000-55d0c7a02000 r--p 00000000 fd:01 1234                       /usr/bin/foo\n"
      "55d0c7a02000-55d0c7a05000 r-xp 00002000 fd:01 1234                       /usr/bin/foo\n"
      "7f0000000000-7f0000100000 rwxp 00000000 00:00 0 \n"
      "7f1000000000-7f1000001000 r-xp 00001000 fd:01 99   /tmp/dir with space/lib x.so (deleted)\n"
      "7ffd1000000-7ffd1002000 r-xp 00000000 00:00 0                          [vdso]\n"
      "not a mapping\n",
      77, 5000);
  ASSERT_EQ(maps.size(), 5u);
  EXPECT_EQ(maps[0].start, 0x55d0c7a00000u);
  EXPECT_EQ(maps[0].end, 0x55d0c7a02000u);
  EXPECT_FALSE(maps[0].executable);
  EXPECT_EQ(maps[1].pgoff, 0x2000u);
  EXPECT_TRUE(maps[1].executable);
  EXPECT_EQ(maps[1].path, "/usr/bin/foo");
  EXPECT_EQ(maps[1].pid, 77u);
  EXPECT_EQ(maps[1].time_ns, 5000u);
  EXPECT_EQ(maps[2].path, "");
  EXPECT_TRUE(maps[2].executable);
  EXPECT_EQ(maps[3].path, "/tmp/dir with space/lib x.so (deleted)");
  EXPECT_EQ(maps[4].path, "[vdso]");
}

capture::Mapping mapping(uint32_t pid, uint64_t t, uint64_t start, uint64_t end, const char* path) {
  capture::Mapping m;
  m.pid = pid;
  m.time_ns = t;
  m.start = start;
  m.end = end;
  m.path = path;
  m.executable = true;
  return m;
}

TEST(SymbolizeMapTable, LatestMappingAtTheLookupTimeWins) {
  MapTable table;
  table.add(mapping(1, 10, 0x1000, 0x5000, "/a"));
  table.add(mapping(1, 30, 0x2000, 0x3000, "/b"));  // mmap over the middle of /a
  table.add(mapping(1, 20, 0x9000, 0xa000, "/c"));  // out of order in time and address
  table.add(mapping(2, 10, 0x1000, 0x5000, "/other"));
  EXPECT_EQ(table.find(1, 5, 0x2100), nullptr);
  EXPECT_EQ(table.find(1, 10, 0x2100)->mapping.path, "/a");
  EXPECT_EQ(table.find(1, 29, 0x2100)->mapping.path, "/a");
  EXPECT_EQ(table.find(1, 30, 0x2100)->mapping.path, "/b");
  EXPECT_EQ(table.find(1, 30, 0x3000)->mapping.path, "/a");  // end is exclusive
  EXPECT_EQ(table.find(1, 30, 0x4fff)->mapping.path, "/a");
  EXPECT_EQ(table.find(1, 30, 0x5000), nullptr);
  EXPECT_EQ(table.find(1, 19, 0x9000), nullptr);
  EXPECT_EQ(table.find(1, 20, 0x9000)->mapping.path, "/c");
  EXPECT_EQ(table.find(2, 30, 0x2100)->mapping.path, "/other");
  EXPECT_EQ(table.find(3, 30, 0x2100), nullptr);

  table.on_exec(1, 40);
  table.add(mapping(1, 40, 0x1000, 0x2000, "/new"));  // the new image, at the exec time
  EXPECT_EQ(table.find(1, 35, 0x2100)->mapping.path, "/b");
  EXPECT_EQ(table.find(1, 40, 0x2100), nullptr);
  EXPECT_EQ(table.find(1, 40, 0x1100)->mapping.path, "/new");
  EXPECT_EQ(table.find(2, 40, 0x2100)->mapping.path, "/other");
}

class JitSystemAccess final : public SystemAccess {
 public:
  Result<std::string> read_kallsyms() override { return std::string(); }
  PerfMapText read_perf_map(uint32_t pid) override {
    ++reads;
    PerfMapText out;
    auto it = maps.find(pid);
    if (it == maps.end()) return out;
    out.status = PerfMapText::Status::ok;
    out.text = it->second;
    return out;
  }
  std::vector<ElfCandidate> elf_candidates(const capture::Mapping&) override { return {}; }
  std::map<uint32_t, std::string> maps;
  int reads = 0;
};

TEST(SymbolizePerfMap, ParsesAndLooksUp) {
  auto map = PerfMap::parse(
      "7f0000001000 100 LazyCompile:~handler /srv/app.js:10\n"
      "0x7f0000002000 0x40 py::work:/app/x.py\n"
      "7f0000001000 80 newer_code_same_start\n"
      "bad\n");
  EXPECT_EQ(map.size(), 3u);
  EXPECT_EQ(map.lookup(0x7f0000001010)->name, "newer_code_same_start");
  EXPECT_EQ(map.lookup(0x7f0000001090)->name, "LazyCompile:~handler /srv/app.js:10");
  EXPECT_EQ(map.lookup(0x7f000000203f)->name, "py::work:/app/x.py");
  EXPECT_EQ(map.lookup(0x7f0000002040), nullptr);
  EXPECT_EQ(map.lookup(0x7f0000000fff), nullptr);
}

TEST(SymbolizePerfMap, JitFramesInAnonymousMemoryAndReloadOnGrowth) {
  auto system = std::make_unique<JitSystemAccess>();
  JitSystemAccess* raw = system.get();
  raw->maps[42] = "7f0000001000 100 jitted_one\n";
  auto s = Symbolizer::create(std::move(system));
  s->add_mapping(mapping(42, 0, 0x7f0000000000, 0x7f0000100000, "//anon"));
  std::vector<capture::Frame> frames;
  s->symbolize_user(42, 10, 0x7f0000001010, false, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "jitted_one");
  EXPECT_EQ(frames[0].module, "perf-42.map");
  EXPECT_EQ(frames[0].module_offset, 0x10u);

  // Code compiled later: the miss rereads the grown file.
  raw->maps[42] += "7f0000003000 20 jitted_two\n";
  frames.clear();
  s->symbolize_user(42, 10, 0x7f0000003008, true, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "jitted_two");

  // Anonymous memory without a JIT symbol: a known region, not "[unknown]".
  frames.clear();
  s->symbolize_user(42, 10, 0x7f0000050000, false, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "[anon]+0x50000");
  int reads_after_miss = raw->reads;
  frames.clear();
  s->symbolize_user(42, 10, 0x7f0000050000, false, frames);  // the same miss does not reread
  EXPECT_EQ(raw->reads, reads_after_miss);

  // No mapping at all, and no perf map for the pid.
  frames.clear();
  s->symbolize_user(43, 10, 0x7f0000001010, false, frames);
  EXPECT_EQ(frames[0].function, "[unknown]");
}

}  // namespace
}  // namespace loadprof::symbolize
