// The kernel-symbol lookup through BPF against /proc/kallsyms itself: for text
// symbols spread over the table, an address inside each must come back with
// that symbol's name (or an alias at the same address) and its module.
#include "loadprof/collect/kernel_symbol_lookup.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

#include "support/privilege.h"

namespace loadprof::collect {
namespace {

struct Symbol {
  std::set<std::string> names;  // aliases at one address
  std::string module;           // "" for the core kernel
};

// address -> the text symbols there, from /proc/kallsyms.
std::map<uint64_t, Symbol> read_kallsyms() {
  std::map<uint64_t, Symbol> out;
  std::ifstream in("/proc/kallsyms");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    std::string address, type, name, module;
    fields >> address >> type >> name >> module;
    if (type != "t" && type != "T") continue;
    uint64_t a = std::stoull(address, nullptr, 16);
    if (a == 0) continue;
    auto& s = out[a];
    s.names.insert(name);
    if (!module.empty()) s.module = module.substr(1, module.size() - 2);
  }
  return out;
}

TEST(KernelSymbolLookup, AgreesWithKallsyms) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  auto lookup = KernelSymbolLookup::open();
  ASSERT_TRUE(lookup.ok()) << lookup.error().message;
  auto table = read_kallsyms();
  ASSERT_GT(table.size(), 10000u) << "kallsyms unreadable or addresses hidden";

  // Every 97th symbol, asked about at its start + 1 (inside it unless it is
  // one byte long, which text symbols are not).
  std::vector<uint64_t> addresses;
  std::vector<const Symbol*> expected;
  size_t i = 0;
  for (auto it = table.begin(); it != table.end(); ++it, ++i) {
    auto next = std::next(it);
    if (i % 97 != 0 || next == table.end() || next->first - it->first < 2) continue;
    addresses.push_back(it->first + 1);
    expected.push_back(&it->second);
  }
  ASSERT_GT(addresses.size(), 100u);
  auto texts = (*lookup)->describe(addresses);
  ASSERT_TRUE(texts.ok()) << texts.error().message;
  ASSERT_EQ(texts->size(), addresses.size());
  size_t agreed = 0;
  for (size_t k = 0; k < addresses.size(); ++k) {
    const std::string& text = (*texts)[k];
    const std::string name = text.substr(0, text.find('+'));
    const bool same_name = expected[k]->names.count(name) > 0;
    const bool module_ok = expected[k]->module.empty()
                               ? text.find('[') == std::string::npos
                               : text.find("[" + expected[k]->module + "]") != std::string::npos;
    EXPECT_TRUE(text.find("+0x1/") != std::string::npos) << text;
    if (same_name && module_ok)
      ++agreed;
    else
      ADD_FAILURE() << "address " << std::hex << addresses[k] << ": " << text
                    << ", kallsyms: " << *expected[k]->names.begin();
  }
  EXPECT_EQ(agreed, addresses.size());
}

TEST(KernelSymbolLookup, AnAddressNoSymbolCoversIsHex) {
  LOADPROF_REQUIRE_BPF_PRIVILEGES();
  auto lookup = KernelSymbolLookup::open();
  ASSERT_TRUE(lookup.ok()) << lookup.error().message;
  const uint64_t user_address = 0x400000;
  auto texts = (*lookup)->describe(std::span<const uint64_t>(&user_address, 1));
  ASSERT_TRUE(texts.ok()) << texts.error().message;
  ASSERT_EQ(texts->size(), 1u);
  EXPECT_EQ((*texts)[0].rfind("0x", 0), 0u) << (*texts)[0];
}

}  // namespace
}  // namespace loadprof::collect
