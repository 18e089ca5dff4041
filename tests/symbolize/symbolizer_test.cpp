// Symbolizer against real ELF files of ours: the clang-built fixture program
// and its dlopen'ed library, running or exited, looked up through the
// fixture's /proc/PID/maps.
#include "loadprof/symbolize/symbolizer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cinttypes>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>

#include "fixture_process.h"
#include "loadprof/symbolize/proc_maps.h"

namespace loadprof::symbolize {
namespace {

using testing::FixtureProcess;

constexpr uint64_t kSnapshotNs = 1000;
constexpr uint64_t kLookupNs = 2000;

std::vector<capture::Frame> lookup(Symbolizer& s, uint32_t pid, uint64_t ip, bool return_address = false,
                                   uint64_t time_ns = kLookupNs) {
  std::vector<capture::Frame> frames;
  s.symbolize_user(pid, time_ns, ip, return_address, frames);
  return frames;
}

std::string hex(uint64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, "0x%" PRIx64, v);
  return buf;
}

// The 1-based line of the first source line containing text.
uint32_t source_line(const std::string& text) {
  std::ifstream in(SYMBOLIZE_FIXTURE_SOURCE);
  std::string line;
  for (uint32_t n = 1; std::getline(in, line); ++n)
    if (line.find(text) != std::string::npos) return n;
  return 0;
}

// The mapping of the fixture covering ip (to compute expected file offsets).
capture::Mapping mapping_of(const std::vector<capture::Mapping>& maps, uint64_t ip) {
  for (const auto& m : maps)
    if (ip >= m.start && ip < m.end) return m;
  return {};
}

std::string run(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  if (p == nullptr) return out;
  char buf[256];
  while (fgets(buf, sizeof buf, p) != nullptr) out += buf;
  pclose(p);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out;
}

std::string build_id_of(const std::string& path) {
  return run("readelf -n '" + path + "' | awk '/Build ID/ {print $3}'");
}

// Delegates to the real system and remembers which files were offered.
class RecordingSystemAccess final : public SystemAccess {
 public:
  explicit RecordingSystemAccess(std::vector<std::string>* offered)
      : real_(make_system_access()), offered_(offered) {}
  Result<std::string> read_kallsyms() override { return real_->read_kallsyms(); }
  PerfMapText read_perf_map(uint32_t pid) override { return real_->read_perf_map(pid); }
  std::vector<ElfCandidate> elf_candidates(const capture::Mapping& m) override {
    auto c = real_->elf_candidates(m);
    for (const auto& candidate : c) offered_->push_back(candidate.path);
    return c;
  }
  Result<UniqueFd> open_elf(uint32_t pid, const ElfCandidate& c) override { return real_->open_elf(pid, c); }

 private:
  std::unique_ptr<SystemAccess> real_;
  std::vector<std::string>* offered_;
};

class SymbolizeFixtureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fixture_.ready()) << "fixture did not start: " << testing::fixture_program();
    pid_ = static_cast<uint32_t>(fixture_.pid());
    maps_ = fixture_.maps(kSnapshotNs);
    ASSERT_GT(maps_.size(), 5u);
    for (const auto& m : maps_) symbolizer_->add_mapping(m);
  }

  FixtureProcess fixture_;
  uint32_t pid_ = 0;
  std::vector<capture::Mapping> maps_;
  std::unique_ptr<Symbolizer> symbolizer_ = Symbolizer::create();
};

TEST_F(SymbolizeFixtureTest, FunctionNamesAreExactAndDemangled) {
  auto c = lookup(*symbolizer_, pid_, fixture_.address("c_function"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].function, "c_function");
  EXPECT_EQ(c[0].module, "symbolize_fixture");
  EXPECT_FALSE(c[0].inlined);
  EXPECT_FALSE(c[0].kernel);
  EXPECT_EQ(c[0].address, fixture_.address("c_function"));
  capture::Mapping m = mapping_of(maps_, fixture_.address("c_function"));
  EXPECT_EQ(c[0].module_offset, fixture_.address("c_function") - m.start + m.pgoff);
  // Source position from the line table: the function's first line.
  EXPECT_TRUE(c[0].file.ends_with("fixture_main.cpp")) << c[0].file;
  EXPECT_EQ(c[0].line, source_line("extern \"C\" __attribute__((noinline)) int c_function"));

  auto method = lookup(*symbolizer_, pid_, fixture_.address("method"));
  ASSERT_EQ(method.size(), 1u);
  EXPECT_EQ(method[0].function, "ns::Klass<int>::method(int)");

  // An address inside a function (not its entry) resolves to the function.
  auto inside = lookup(*symbolizer_, pid_, fixture_.address("named_caller") + 4);
  ASSERT_FALSE(inside.empty());
  EXPECT_EQ(inside.back().function, "named_caller(int)");
}

TEST_F(SymbolizeFixtureTest, InlinedFunctionIsItsOwnFrameAboveItsCaller) {
  auto frames = lookup(*symbolizer_, pid_, fixture_.address("inline_ra"), /*return_address=*/true);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].function, "inlined_helper(int)");
  EXPECT_TRUE(frames[0].inlined);
  EXPECT_EQ(frames[0].line, source_line("record_inline_ra();  // this call site"));
  EXPECT_EQ(frames[1].function, "named_caller(int)");
  EXPECT_FALSE(frames[1].inlined);
  // The caller's position is the call site of the inlined function.
  EXPECT_EQ(frames[1].line, source_line("int r = inlined_helper(x);"));
  EXPECT_TRUE(frames[1].file.ends_with("fixture_main.cpp")) << frames[1].file;
  for (const auto& f : frames) {
    EXPECT_EQ(f.address, fixture_.address("inline_ra"));
    EXPECT_EQ(f.module, "symbolize_fixture");
  }
}

TEST_F(SymbolizeFixtureTest, NestedInlineFramesFollowTheConcreteCallers) {
  // libdw's dwarf_getscopes alone would stop after the innermost level.
  auto frames = lookup(*symbolizer_, pid_, fixture_.address("nested_ra"), true);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, "inner_inline(int)");
  EXPECT_TRUE(frames[0].inlined);
  EXPECT_EQ(frames[0].line, source_line("record_nested_ra();  // innermost inline call site"));
  EXPECT_EQ(frames[1].function, "outer_inline(int)");
  EXPECT_TRUE(frames[1].inlined);
  EXPECT_EQ(frames[1].line, source_line("int r = inner_inline(v);  // call site of inner_inline"));
  EXPECT_EQ(frames[2].function, "nested_caller(int)");
  EXPECT_FALSE(frames[2].inlined);
  EXPECT_EQ(frames[2].line, source_line("int r = outer_inline(x);  // call site of outer_inline"));
}

TEST_F(SymbolizeFixtureTest, StackHelperTreatsAllButTheLeafAsReturnAddresses) {
  // A made-up stack: the tail return address as the leaf, then two real return addresses.
  std::vector<uint64_t> ips = {fixture_.address("tail_ra"), fixture_.address("inline_ra"),
                               fixture_.address("leaf_ra")};
  std::vector<capture::Frame> frames;
  symbolizer_->symbolize_user_stack(pid_, kLookupNs, ips, frames);
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_TRUE(frames[0].function.starts_with("symbolize_fixture+0x"));  // the leaf is taken as is
  EXPECT_EQ(frames[1].function, "inlined_helper(int)");
  EXPECT_EQ(frames[2].function, "named_caller(int)");
  EXPECT_EQ(frames[3].function, "caller_of_leaf(int)");
}

TEST_F(SymbolizeFixtureTest, ReturnAddressSymbolizesToTheCaller) {
  auto leaf = lookup(*symbolizer_, pid_, fixture_.address("leaf_ra"), true);
  ASSERT_EQ(leaf.size(), 1u);
  EXPECT_EQ(leaf[0].function, "caller_of_leaf(int)");
  EXPECT_EQ(leaf[0].line, source_line("  leaf_records_ra();"));

  // ends_with_call's last instruction is the call to a noreturn function: its
  // return address is the first byte after ends_with_call.
  uint64_t tail_ra = fixture_.address("tail_ra");
  uint64_t end_of_caller = tail_ra;  // checked: the raw address is outside the caller
  auto as_return = lookup(*symbolizer_, pid_, tail_ra, true);
  ASSERT_EQ(as_return.size(), 1u);
  EXPECT_EQ(as_return[0].function, "ends_with_call()");
  auto as_is = lookup(*symbolizer_, pid_, end_of_caller, false);
  ASSERT_EQ(as_is.size(), 1u);
  EXPECT_NE(as_is[0].function, "ends_with_call()");
  // The bytes after it are alignment padding, in no symbol: module+offset.
  capture::Mapping m = mapping_of(maps_, tail_ra);
  EXPECT_EQ(as_is[0].function, "symbolize_fixture+" + hex(tail_ra - m.start + m.pgoff));
}

TEST_F(SymbolizeFixtureTest, UnresolvedAddressInKnownModuleKeepsModuleAndOffset) {
  // The ELF header at the start of the first mapping of the program.
  const capture::Mapping* header = nullptr;
  for (const auto& m : maps_)
    if (m.path == testing::fixture_program() && m.pgoff == 0) header = &m;
  ASSERT_NE(header, nullptr);
  auto frames = lookup(*symbolizer_, pid_, header->start + 0x10);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "symbolize_fixture+0x10");
  EXPECT_EQ(frames[0].module, "symbolize_fixture");
  EXPECT_EQ(frames[0].module_offset, 0x10u);

  auto unknown = lookup(*symbolizer_, pid_, 0x10);
  ASSERT_EQ(unknown.size(), 1u);
  EXPECT_EQ(unknown[0].function, "[unknown]");
  EXPECT_EQ(unknown[0].module, "[unknown]");
  EXPECT_EQ(unknown[0].address, 0x10u);
  EXPECT_EQ(symbolizer_->stats().unknown_addresses, 1u);
}

TEST_F(SymbolizeFixtureTest, DlopenedLibraryResolves) {
  ASSERT_NE(fixture_.address("lib_function"), 0u);
  auto f = lookup(*symbolizer_, pid_, fixture_.address("lib_function"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "lib_function");
  EXPECT_EQ(f[0].module, "libsymfixture_lib.so");
  auto w = lookup(*symbolizer_, pid_, fixture_.address("lib_work") + 1);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].function, "libns::lib_work(int)");
  EXPECT_TRUE(w[0].file.ends_with("fixture_lib.cpp")) << w[0].file;
}

TEST_F(SymbolizeFixtureTest, VdsoFunctionResolves) {
  uint64_t ip = fixture_.address("vdso_clock_gettime");
  ASSERT_NE(ip, 0u) << "the fixture found no vDSO clock_gettime";
  capture::Mapping m = mapping_of(maps_, ip);
  ASSERT_EQ(m.path, "[vdso]");
  auto f = lookup(*symbolizer_, pid_, ip + 1);
  ASSERT_EQ(f.size(), 1u);
  // Global and weak alias at one address: the global name is preferred.
  EXPECT_EQ(f[0].function, "__vdso_clock_gettime");
  EXPECT_EQ(f[0].module, "[vdso]");
  EXPECT_EQ(f[0].module_offset, ip + 1 - m.start);
}

TEST_F(SymbolizeFixtureTest, JitCodeResolvesThroughPerfMap) {
  uint64_t ip = fixture_.address("jit_code");
  ASSERT_NE(ip, 0u);
  capture::Mapping m = mapping_of(maps_, ip);
  EXPECT_TRUE(m.executable);
  EXPECT_EQ(m.path, "");  // anonymous memory
  auto f = lookup(*symbolizer_, pid_, ip);
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "LazyCompile:*jitted_handler /srv/app.js:42");
  EXPECT_EQ(f[0].module, "perf-" + std::to_string(pid_) + ".map");
  EXPECT_EQ(f[0].module_offset, 0x10u);
  // Past the JIT symbol: the anonymous region is still named.
  auto g = lookup(*symbolizer_, pid_, ip + 0x1000);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].function, "[anon]+" + hex(ip + 0x1000 - m.start));
}

TEST_F(SymbolizeFixtureTest, MappingsAreVersionedByTime) {
  auto s = Symbolizer::create();
  for (auto m : maps_) {
    m.time_ns = 100;
    s->add_mapping(m);
  }
  uint64_t ip = fixture_.address("c_function");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 50)[0].function, "[unknown]");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 100)[0].function, "c_function");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 150)[0].function, "c_function");
  s->on_exec(pid_, 200);
  EXPECT_EQ(lookup(*s, pid_, ip, false, 150)[0].function, "c_function");  // before the exec: unchanged
  EXPECT_EQ(lookup(*s, pid_, ip, false, 200)[0].function, "[unknown]");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 250)[0].function, "[unknown]");
  // The new image maps the library where the program was: from t=300 on the
  // same address is in the library (a later mapping wins).
  capture::Mapping fn = mapping_of(maps_, ip);
  capture::Mapping lib = mapping_of(maps_, fixture_.address("lib_function"));
  lib.start = fn.start;
  lib.end = fn.end;
  lib.time_ns = 300;
  s->add_mapping(lib);
  EXPECT_EQ(lookup(*s, pid_, ip, false, 250)[0].function, "[unknown]");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 350)[0].module, "libsymfixture_lib.so");
  EXPECT_EQ(lookup(*s, pid_, ip, false, 150)[0].function, "c_function");
  // Other pids are not affected.
  EXPECT_EQ(lookup(*s, pid_ + 1, ip, false, 150)[0].function, "[unknown]");
}

TEST_F(SymbolizeFixtureTest, EachFileIsOpenedOnceAcrossProcesses) {
  FixtureProcess second;
  ASSERT_TRUE(second.ready());
  for (const auto& m : second.maps(kSnapshotNs)) symbolizer_->add_mapping(m);
  uint32_t pid2 = static_cast<uint32_t>(second.pid());
  for (int round = 0; round < 3; ++round) {
    EXPECT_EQ(lookup(*symbolizer_, pid_, fixture_.address("c_function"))[0].function, "c_function");
    EXPECT_EQ(lookup(*symbolizer_, pid2, second.address("c_function"))[0].function, "c_function");
    EXPECT_EQ(lookup(*symbolizer_, pid2, second.address("method"))[0].function,
              "ns::Klass<int>::method(int)");
  }
  auto stats = symbolizer_->stats();
  EXPECT_EQ(stats.modules_opened, 1u);  // the program, shared by both processes
  EXPECT_EQ(stats.modules_failed, 0u);
  EXPECT_EQ(stats.user_lookups, 9u);
  // Same file offset in both processes (ASLR moves only the base): cached after the first.
  EXPECT_EQ(stats.user_cache_hits, 9u - 2u);
}

TEST(SymbolizeNoPie, FixedAddressExecutableResolves) {
  FixtureProcess fixture(testing::fixture_library(), testing::fixture_program_no_pie());
  ASSERT_TRUE(fixture.ready());
  uint32_t pid = static_cast<uint32_t>(fixture.pid());
  auto maps = fixture.maps(kSnapshotNs);
  auto s = Symbolizer::create();
  for (const auto& m : maps) s->add_mapping(m);
  uint64_t ip = fixture.address("c_function");
  EXPECT_LT(ip, 0x10000000u);  // linked at its ELF address (0x400000 region), not moved by ASLR
  EXPECT_EQ(lookup(*s, pid, ip)[0].function, "c_function");
  EXPECT_EQ(lookup(*s, pid, ip)[0].module, "symbolize_fixture_no_pie");
  EXPECT_EQ(lookup(*s, pid, fixture.address("method"))[0].function, "ns::Klass<int>::method(int)");
  auto inl = lookup(*s, pid, fixture.address("inline_ra"), true);
  ASSERT_EQ(inl.size(), 2u);
  EXPECT_EQ(inl[0].function, "inlined_helper(int)");
  EXPECT_EQ(inl[1].function, "named_caller(int)");
}

TEST(SymbolizeNoAranges, LinesAndInlineFramesWithoutDebugAranges) {
  ASSERT_EQ(run("readelf -S '" + testing::fixture_program_no_aranges() + "' | grep -c debug_aranges"), "0");
  FixtureProcess fixture(testing::fixture_library(), testing::fixture_program_no_aranges());
  ASSERT_TRUE(fixture.ready());
  uint32_t pid = static_cast<uint32_t>(fixture.pid());
  auto s = Symbolizer::create();
  for (const auto& m : fixture.maps(kSnapshotNs)) s->add_mapping(m);
  auto c = lookup(*s, pid, fixture.address("c_function"));
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].function, "c_function");
  EXPECT_EQ(c[0].line, source_line("extern \"C\" __attribute__((noinline)) int c_function"));
  auto nested = lookup(*s, pid, fixture.address("nested_ra"), true);
  ASSERT_EQ(nested.size(), 3u);
  EXPECT_EQ(nested[0].function, "inner_inline(int)");
  EXPECT_TRUE(nested[0].inlined);
  EXPECT_EQ(nested[0].line, source_line("record_nested_ra();  // innermost inline call site"));
  EXPECT_EQ(nested[1].function, "outer_inline(int)");
  EXPECT_EQ(nested[2].function, "nested_caller(int)");
  EXPECT_EQ(nested[2].line, source_line("int r = outer_inline(x);  // call site of outer_inline"));
}

TEST(SymbolizeExited, ExitedProcessResolvesThroughPaths) {
  std::vector<capture::Mapping> maps;
  std::map<std::string, uint64_t> addresses;
  uint32_t pid = 0;
  {
    FixtureProcess fixture;
    ASSERT_TRUE(fixture.ready());
    pid = static_cast<uint32_t>(fixture.pid());
    maps = fixture.maps(kSnapshotNs);
    for (const char* name : {"c_function", "method", "inline_ra", "lib_function"})
      addresses[name] = fixture.address(name);
    ASSERT_EQ(fixture.finish(), 0);
  }
  ASSERT_FALSE(std::filesystem::exists("/proc/" + std::to_string(pid)));
  std::vector<std::string> offered;
  auto s = Symbolizer::create(std::make_unique<RecordingSystemAccess>(&offered));
  for (const auto& m : maps) s->add_mapping(m);
  EXPECT_EQ(lookup(*s, pid, addresses["c_function"])[0].function, "c_function");
  EXPECT_EQ(lookup(*s, pid, addresses["method"])[0].function, "ns::Klass<int>::method(int)");
  auto inl = lookup(*s, pid, addresses["inline_ra"], true);
  ASSERT_EQ(inl.size(), 2u);
  EXPECT_TRUE(inl[0].inlined);
  EXPECT_EQ(inl[1].function, "named_caller(int)");
  EXPECT_EQ(lookup(*s, pid, addresses["lib_function"])[0].function, "lib_function");
  ASSERT_FALSE(offered.empty());
  for (const auto& path : offered) EXPECT_EQ(path.find("/map_files/"), std::string::npos) << path;
}

TEST(SymbolizeDeleted, DeletedLibraryResolvesThroughMapFilesWhileAlive) {
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("loadprof-symtest-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::path copy = dir / "libsymfixture_lib.so";
  std::filesystem::copy_file(testing::fixture_library(), copy,
                             std::filesystem::copy_options::overwrite_existing);
  FixtureProcess fixture(copy.string());
  ASSERT_TRUE(fixture.ready());
  std::filesystem::remove_all(dir);  // the library now exists only as the process's mapping
  uint32_t pid = static_cast<uint32_t>(fixture.pid());
  auto maps = fixture.maps(kSnapshotNs);
  capture::Mapping lib = mapping_of(maps, fixture.address("lib_function"));
  EXPECT_TRUE(lib.path.ends_with("libsymfixture_lib.so (deleted)")) << lib.path;

  std::vector<std::string> offered;
  auto s = Symbolizer::create(std::make_unique<RecordingSystemAccess>(&offered));
  for (const auto& m : maps) s->add_mapping(m);
  auto f = lookup(*s, pid, fixture.address("lib_function"));
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0].function, "lib_function");
  EXPECT_EQ(f[0].module, "libsymfixture_lib.so");
  bool via_map_files = false;
  for (const auto& path : offered) via_map_files |= path.find("/map_files/") != std::string::npos;
  EXPECT_TRUE(via_map_files);

  // After the exit the file is gone: the module is still known, so the frame
  // is "module+0xoffset", not "[unknown]".
  ASSERT_EQ(fixture.finish(), 0);
  auto late = Symbolizer::create();
  for (const auto& m : maps) late->add_mapping(m);
  auto g = lookup(*late, pid, fixture.address("lib_function"));
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(g[0].function,
            "libsymfixture_lib.so+" + hex(fixture.address("lib_function") - lib.start + lib.pgoff));
  EXPECT_EQ(g[0].module, "libsymfixture_lib.so");
  EXPECT_EQ(late->stats().modules_failed, 1u);
}

class TempDir {
 public:
  explicit TempDir(const std::string& tag)
      : path_(std::filesystem::temp_directory_path() / ("loadprof-" + tag + "-" + std::to_string(getpid()))) {
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

TEST(SymbolizeDebugFiles, BuildIdDirectoryAndDebuglinkSupplyDwarf) {
  std::string id = build_id_of(testing::fixture_library());
  ASSERT_GT(id.size(), 8u) << "the fixture library has no build-id";
  TempDir tmp("symdbg");
  auto lib_dir = tmp.path() / "lib";
  auto id_dir = tmp.path() / "debug" / ".build-id" / id.substr(0, 2);
  std::filesystem::create_directories(lib_dir);
  std::filesystem::create_directories(id_dir);
  std::string lib = (lib_dir / "libsymfixture_lib.so").string();
  std::string linked = (lib_dir / "liblinked.so").string();
  std::string debug = (id_dir / (id.substr(2) + ".debug")).string();
  std::filesystem::copy_file(testing::fixture_library(), lib);
  // The debug file by build-id; the library stripped of DWARF and .symtab.
  ASSERT_EQ(std::system(("objcopy --only-keep-debug '" + lib + "' '" + debug + "'").c_str()), 0);
  ASSERT_EQ(std::system(("strip --strip-all '" + lib + "'").c_str()), 0);
  // A second copy that names its debug file with .gnu_debuglink, next to it.
  std::filesystem::copy_file(lib, linked);
  std::filesystem::copy_file(debug, lib_dir / "liblinked.debug");
  ASSERT_EQ(std::system(
                ("cd '" + lib_dir.string() + "' && objcopy --add-gnu-debuglink=liblinked.debug liblinked.so")
                    .c_str()),
            0);

  const uint32_t expected_line = [] {
    std::ifstream in(
        std::string(SYMBOLIZE_FIXTURE_SOURCE)
            .replace(std::string(SYMBOLIZE_FIXTURE_SOURCE).rfind("fixture_main.cpp"), 16, "fixture_lib.cpp"));
    std::string line;
    for (uint32_t n = 1; std::getline(in, line); ++n)
      if (line.find("int lib_work(int x)") != std::string::npos) return n;
    return 0u;
  }();
  ASSERT_GT(expected_line, 0u);

  for (const std::string& library : {lib, linked}) {
    FixtureProcess fixture(library);
    ASSERT_TRUE(fixture.ready()) << library;
    auto maps = fixture.maps(kSnapshotNs);
    uint32_t pid = static_cast<uint32_t>(fixture.pid());
    uint64_t ip = fixture.address("lib_work");

    SymbolizerOptions with_debug;
    // The build-id copy needs the build-id tree; the debuglink copy only its
    // own directory (the empty first entry).
    with_debug.debuginfo_path = library == lib ? (tmp.path() / "debug").string() : std::string(":.debug");
    auto s = Symbolizer::create(with_debug);
    for (const auto& m : maps) s->add_mapping(m);
    auto f = lookup(*s, pid, ip);
    ASSERT_EQ(f.size(), 1u) << library;
    EXPECT_EQ(f[0].function, "libns::lib_work(int)") << library;
    EXPECT_TRUE(f[0].file.ends_with("fixture_lib.cpp")) << library << ": " << f[0].file;
    EXPECT_EQ(f[0].line, expected_line) << library;

    // Control: with no debug file to find, the name still comes from .dynsym
    // but there is no source position.
    SymbolizerOptions without;
    without.debuginfo_path = "/nonexistent";
    auto bare = Symbolizer::create(without);
    for (const auto& m : maps) bare->add_mapping(m);
    auto g = lookup(*bare, pid, ip);
    ASSERT_EQ(g.size(), 1u);
    EXPECT_EQ(g[0].function, "libns::lib_work(int)");
    EXPECT_EQ(g[0].file, "");
    EXPECT_EQ(g[0].line, 0u);
  }
}

TEST_F(SymbolizeFixtureTest, BuildIdMustMatchTheFile) {
  std::string id = build_id_of(testing::fixture_program());
  ASSERT_GT(id.size(), 8u);
  uint64_t ip = fixture_.address("c_function");
  for (const std::string& build_id : {id, std::string("00112233445566778899")}) {
    auto s = Symbolizer::create();
    for (auto m : maps_) {
      if (m.path == testing::fixture_program()) m.build_id = build_id;
      s->add_mapping(m);
    }
    auto f = lookup(*s, pid_, ip);
    ASSERT_EQ(f.size(), 1u);
    capture::Mapping m = mapping_of(maps_, ip);
    if (build_id == id) {
      EXPECT_EQ(f[0].function, "c_function");
      EXPECT_EQ(s->stats().modules_opened, 1u);
    } else {
      // Another binary than the one that ran: not trusted, module+offset.
      EXPECT_EQ(f[0].function, "symbolize_fixture+" + hex(ip - m.start + m.pgoff));
      EXPECT_EQ(s->stats().modules_failed, 1u);
    }
  }
}

bool same_frame(const capture::Frame& a, const capture::Frame& b) {
  return a.address == b.address && a.function == b.function && a.module == b.module &&
         a.module_offset == b.module_offset && a.file == b.file && a.line == b.line &&
         a.inlined == b.inlined && a.kernel == b.kernel;
}

TEST_F(SymbolizeFixtureTest, CachedLookupsEqualUncachedOnes) {
  // A few thousand distinct addresses spread over every executable mapping of
  // the fixture (program, library, libc, libstdc++, ld.so).
  std::vector<capture::Mapping> code;
  for (const auto& m : maps_)
    if (m.executable && m.path.starts_with("/")) code.push_back(m);
  ASSERT_GE(code.size(), 4u);
  std::mt19937_64 rng(42);
  std::vector<uint64_t> distinct;
  for (int i = 0; i < 3000; ++i) {
    const auto& m = code[i % code.size()];
    distinct.push_back(m.start + rng() % (m.end - m.start));
  }
  auto uncached = Symbolizer::create(SymbolizerOptions{.cache = false});
  for (const auto& m : maps_) uncached->add_mapping(m);
  std::map<std::pair<uint64_t, bool>, std::vector<capture::Frame>> expected;
  for (uint64_t ip : distinct)
    for (bool ret : {false, true}) expected[{ip, ret}] = lookup(*uncached, pid_, ip, ret);
  EXPECT_EQ(uncached->stats().user_cache_hits, 0u);

  size_t mismatches = 0, named = 0, frames_compared = 0;
  std::set<std::string> functions;
  for (int i = 0; i < 100000; ++i) {
    uint64_t ip = distinct[rng() % distinct.size()];
    bool ret = rng() & 1;
    auto got = lookup(*symbolizer_, pid_, ip, ret);
    const auto& want = expected[{ip, ret}];
    bool same = got.size() == want.size();
    for (size_t k = 0; same && k < got.size(); ++k) same = same_frame(got[k], want[k]);
    mismatches += !same;
    frames_compared += got.size();
    if (!got.empty() && got.back().function.find("+0x") == std::string::npos) ++named;
    for (const auto& f : got) functions.insert(f.function);
  }
  EXPECT_EQ(mismatches, 0u);
  auto stats = symbolizer_->stats();
  EXPECT_EQ(stats.user_lookups, 100000u);
  EXPECT_GE(stats.user_cache_hits, 100000u - 6000u);
  // The sample is meaningful: most addresses land in named functions.
  EXPECT_GT(named, 50000u);
  EXPECT_GT(functions.size(), 500u);
  EXPECT_GE(frames_compared, 100000u);
}

}  // namespace
}  // namespace loadprof::symbolize
