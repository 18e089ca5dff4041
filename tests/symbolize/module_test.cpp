// Module internals against libdw itself: the per-CU subprogram index must give
// exactly the frames dwarf_getscopes gives.
#include <gtest/gtest.h>

#include <random>

#include "fixture_process.h"
#include "symbolize/elf_module.h"

namespace loadprof::symbolize {
namespace {

struct Difference {
  uint64_t offset;
  std::string indexed, scanned;
};

std::string describe(const std::vector<capture::Frame>& frames) {
  std::string out;
  for (const auto& f : frames)
    out += f.function + (f.inlined ? "[i]" : "") + "@" + std::to_string(f.line) + " ";
  return out;
}

TEST(SymbolizeModule, ScopeIndexGivesTheFramesOfDwarfGetscopes) {
  testing::FixtureProcess fixture;
  ASSERT_TRUE(fixture.ready());
  size_t compared = 0, with_inline = 0;
  std::vector<Difference> differences;
  std::mt19937_64 rng(7);
  for (const auto& m : fixture.maps(0)) {
    if (!m.executable || !m.path.starts_with("/")) continue;
    auto system = make_system_access();
    auto opener = [&](const ElfCandidate& c) { return system->open_elf(m.pid, c); };
    std::vector<ElfCandidate> candidates{{ElfCandidate::Where::target, m.path}};
    auto indexed = Module::open("x", m.path, candidates, "", ":.debug:/usr/lib/debug", opener);
    auto scanned = Module::open("x", m.path, candidates, "", ":.debug:/usr/lib/debug", opener);
    ASSERT_TRUE(indexed->ok()) << m.path;
    scanned->set_scope_index(false);
    uint64_t size = m.end - m.start;
    for (int i = 0; i < 1500; ++i) {
      uint64_t offset = m.pgoff + rng() % size;
      auto a = indexed->resolve(offset);
      auto b = scanned->resolve(offset);
      ++compared;
      bool same = a.size() == b.size();
      for (size_t k = 0; same && k < a.size(); ++k)
        same = a[k].function == b[k].function && a[k].inlined == b[k].inlined && a[k].file == b[k].file &&
               a[k].line == b[k].line;
      if (!same) differences.push_back({offset, describe(a), describe(b)});
      if (a.size() > 1) ++with_inline;
    }
  }
  for (size_t i = 0; i < differences.size() && i < 10; ++i)
    ADD_FAILURE() << std::hex << "offset 0x" << differences[i].offset << ": index " << differences[i].indexed
                  << "| getscopes " << differences[i].scanned;
  EXPECT_EQ(differences.size(), 0u);
  EXPECT_GT(compared, 5000u);
  std::cout << "compared " << compared << " addresses, " << with_inline << " with inline frames\n";
}

}  // namespace
}  // namespace loadprof::symbolize
