// Kernel symbols: a fake kallsyms text through the SystemAccess seam, and the
// real /proc/kallsyms.
#include "symbolize/kallsyms.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>

#include "loadprof/symbolize/symbolizer.h"

namespace loadprof::symbolize {
namespace {

constexpr const char* kFakeKallsyms =
    "ffffffff81000000 T _stext\n"
    "ffffffff81000000 T startup_64\n"  // alias at the same address: the first listed wins
    "ffffffff81001000 t do_one_initcall\n"
    "ffffffff81002000 D some_data\n"  // data: ignored
    "ffffffff81003000 T __x64_sys_read\n"
    "ffffffff81003400 W weak_text\n"
    "0000000000000000 A fixed_percpu_data\n"  // absolute: ignored
    "ffffffffc0a00000 t ext4_readdir\t[ext4]\n"
    "ffffffffc0a00800 T ext4_file_read_iter\t[ext4]\n"
    "garbage line\n"
    "\n";

class FakeSystemAccess final : public SystemAccess {
 public:
  explicit FakeSystemAccess(std::string kallsyms) : kallsyms_(std::move(kallsyms)) {}
  Result<std::string> read_kallsyms() override {
    ++kallsyms_reads;
    return kallsyms_;
  }
  PerfMapText read_perf_map(uint32_t) override { return {}; }
  std::vector<ElfCandidate> elf_candidates(const capture::Mapping&) override { return {}; }
  int kallsyms_reads = 0;

 private:
  std::string kallsyms_;
};

TEST(SymbolizeKallsyms, ParsesTextSymbolsOnly) {
  auto table = KernelSymbols::parse(kFakeKallsyms);
  EXPECT_EQ(table.size(), 7u);  // 2 aliases + 3 kernel text + 2 module text
  const KernelSymbol* s = table.lookup(0xffffffff81003010);
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->name, "__x64_sys_read");
  EXPECT_EQ(s->module, "[kernel]");
  EXPECT_EQ(table.lookup(0xffffffff81000000)->name, "_stext");
  // Inside the data symbol's range: still the text symbol below it.
  EXPECT_EQ(table.lookup(0xffffffff81002010)->name, "do_one_initcall");
  EXPECT_EQ(table.lookup(0xffffffff81003400)->name, "weak_text");
  EXPECT_EQ(table.lookup(0xffffffffc0a00004)->name, "ext4_readdir");
  EXPECT_EQ(table.lookup(0xffffffffc0a00004)->module, "[ext4]");
  EXPECT_EQ(table.lookup(0xffffffffc0a00900)->name, "ext4_file_read_iter");
  EXPECT_EQ(table.lookup(0xffffffff80ffffff), nullptr);  // below the first symbol
  // Between kernel text and modules: too far from any symbol.
  EXPECT_EQ(table.lookup(0xffffffffa0000000), nullptr);
  EXPECT_EQ(table.lookup(0xffffffffc0a00800 + KernelSymbols::kMaxSymbolSize), nullptr);
}

TEST(SymbolizeKallsyms, HiddenAddressesGiveAnEmptyTable) {
  auto table = KernelSymbols::parse("0000000000000000 T _stext\n0000000000000000 t foo\n");
  EXPECT_TRUE(table.empty());
  EXPECT_EQ(table.lookup(0x1000), nullptr);
}

TEST(SymbolizeKallsyms, SymbolizerUsesTheSeamOnce) {
  auto fake = std::make_unique<FakeSystemAccess>(kFakeKallsyms);
  FakeSystemAccess* raw = fake.get();
  auto s = Symbolizer::create(std::move(fake));
  std::vector<capture::Frame> frames;
  s->symbolize_kernel(0xffffffff81003005, frames);
  s->symbolize_kernel(0xffffffffc0a00801, frames);
  s->symbolize_kernel(0xffffffffa0000000, frames);
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, "__x64_sys_read");
  EXPECT_EQ(frames[0].module, "[kernel]");
  EXPECT_TRUE(frames[0].kernel);
  EXPECT_EQ(frames[0].address, 0xffffffff81003005u);
  EXPECT_EQ(frames[1].function, "ext4_file_read_iter");
  EXPECT_EQ(frames[1].module, "[ext4]");
  // No symbol: the kernel is still the module, never a bare "[unknown]".
  EXPECT_EQ(frames[2].function, "[kernel]+0xffffffffa0000000");
  EXPECT_TRUE(frames[2].kernel);
  EXPECT_EQ(raw->kallsyms_reads, 1);
  EXPECT_EQ(s->stats().kernel_lookups, 3u);

  // A return address right after a call that ends __x64_sys_read is the
  // first byte of the next symbol: ip - 1 finds the caller.
  frames.clear();
  s->symbolize_kernel(0xffffffff81003400, /*return_address=*/true, frames);
  s->symbolize_kernel(0xffffffff81003400, /*return_address=*/false, frames);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].function, "__x64_sys_read");
  EXPECT_EQ(frames[0].address, 0xffffffff81003400u);
  EXPECT_EQ(frames[1].function, "weak_text");
}

TEST(SymbolizeKallsyms, ParsesTheKernelsOwnSymbolText) {
  auto core = parse_kernel_symbol_text("tcp_sendmsg+0x2d/0x50");
  ASSERT_TRUE(core);
  EXPECT_EQ(core->name, "tcp_sendmsg");
  EXPECT_EQ(core->module, "[kernel]");
  auto mod = parse_kernel_symbol_text("ext4_map_blocks.cold+0x1a/0x5f0 [ext4]");
  ASSERT_TRUE(mod);
  EXPECT_EQ(mod->name, "ext4_map_blocks.cold");
  EXPECT_EQ(mod->module, "[ext4]");
  EXPECT_FALSE(parse_kernel_symbol_text("0xffffffffa0000000"));  // no symbol covers it
  EXPECT_FALSE(parse_kernel_symbol_text(""));
  EXPECT_FALSE(parse_kernel_symbol_text("+0x1/0x2"));
  EXPECT_FALSE(parse_kernel_symbol_text("name+0x1/0x2 [unterminated"));
}

// A system that can ask the kernel per address: kallsyms is never read, each
// address is asked once (the answers are cached), and "0x..." is no symbol.
class AskingSystemAccess final : public SystemAccess {
 public:
  Result<std::string> read_kallsyms() override {
    ++kallsyms_reads;
    return std::string(kFakeKallsyms);
  }
  std::optional<std::vector<std::string>> describe_kernel_addresses(
      std::span<const uint64_t> addresses) override {
    if (refuse) return std::nullopt;
    std::vector<std::string> out;
    for (uint64_t a : addresses) {
      asked.push_back(a);
      out.push_back(a == 0xffffffff81003004   ? "__x64_sys_read+0x4/0x400"
                    : a == 0xffffffffc0a00801 ? "ext4_file_read_iter+0x1/0x80 [ext4]"
                                              : "0x" + std::to_string(a));
    }
    return out;
  }
  PerfMapText read_perf_map(uint32_t) override { return {}; }
  std::vector<ElfCandidate> elf_candidates(const capture::Mapping&) override { return {}; }
  int kallsyms_reads = 0;
  bool refuse = false;
  std::vector<uint64_t> asked;
};

TEST(SymbolizeKallsyms, AskingTheKernelReplacesKallsyms) {
  auto fake = std::make_unique<AskingSystemAccess>();
  AskingSystemAccess* raw = fake.get();
  auto s = Symbolizer::create(std::move(fake));
  const std::vector<uint64_t> batch{0xffffffff81003004, 0xffffffffc0a00801, 0xffffffff81003004};
  s->prefetch_kernel(batch);
  EXPECT_EQ(raw->asked.size(), 2u) << "one question per distinct address";
  std::vector<capture::Frame> frames;
  s->symbolize_kernel(0xffffffff81003004, frames);
  s->symbolize_kernel(0xffffffffc0a00801, frames);
  s->symbolize_kernel(0xffffffffa0000000, frames);  // not prefetched: asked on its own
  ASSERT_EQ(frames.size(), 3u);
  EXPECT_EQ(frames[0].function, "__x64_sys_read");
  EXPECT_EQ(frames[0].module, "[kernel]");
  EXPECT_EQ(frames[1].function, "ext4_file_read_iter");
  EXPECT_EQ(frames[1].module, "[ext4]");
  EXPECT_EQ(frames[2].function, "[kernel]+0xffffffffa0000000");
  EXPECT_EQ(raw->asked.size(), 3u);
  EXPECT_EQ(raw->kallsyms_reads, 0);

  // A system that stops answering: kallsyms from then on.
  raw->refuse = true;
  frames.clear();
  s->symbolize_kernel(0xffffffff81001004, frames);
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].function, "do_one_initcall");
  EXPECT_EQ(raw->kallsyms_reads, 1);
}

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(SymbolizeKallsyms, RealKallsymsResolvesEveryTextSymbolBack) {
  std::string text = read_file("/proc/kallsyms");
  auto table = KernelSymbols::parse(text);
  if (table.empty()) GTEST_SKIP() << "/proc/kallsyms shows no addresses (kptr_restrict, not root)";
  EXPECT_GT(table.size(), 10000u);

  // Every text symbol whose address is unique maps back to its own name,
  // at its start and a few bytes in.
  std::map<uint64_t, std::pair<std::string, int>> by_address;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream w(line);
    std::string addr, type, name;
    w >> addr >> type >> name;
    if (type != "t" && type != "T" && type != "w" && type != "W") continue;
    auto& e = by_address[std::stoull(addr, nullptr, 16)];
    e.first = name;
    ++e.second;
  }
  size_t checked = 0, mismatched = 0;
  for (auto it = by_address.begin(); it != by_address.end(); ++it) {
    if (it->second.second != 1 || it->first == 0) continue;
    auto next = std::next(it);
    uint64_t inside = next != by_address.end() && next->first - it->first > 1 ? it->first + 1 : it->first;
    for (uint64_t a : {it->first, inside}) {
      const KernelSymbol* s = table.lookup(a);
      ++checked;
      if (s == nullptr || s->name != it->second.first) ++mismatched;
    }
  }
  EXPECT_GT(checked, 20000u);
  EXPECT_EQ(mismatched, 0u);

  auto s = Symbolizer::create();
  for (const char* name : {"do_sys_openat2", "schedule", "vfs_read"}) {
    auto found = std::find_if(by_address.begin(), by_address.end(),
                              [&](const auto& e) { return e.second.first == name; });
    if (found == by_address.end()) continue;  // renamed in this kernel
    std::vector<capture::Frame> frames;
    s->symbolize_kernel(found->first + 4, frames);
    ASSERT_EQ(frames.size(), 1u);
    EXPECT_EQ(frames[0].function, name);
    EXPECT_EQ(frames[0].module, "[kernel]");
    EXPECT_TRUE(frames[0].kernel);
  }
}

}  // namespace
}  // namespace loadprof::symbolize
