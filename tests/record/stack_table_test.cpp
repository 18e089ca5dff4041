// StackTable: one id per distinct (address space, user IPs, kernel IPs, truncation).
#include <gtest/gtest.h>

#include <random>

#include "record/stack_table.h"

using loadprof::record::StackTable;

TEST(StackTable, SameStackSameIdOtherwiseNew) {
  StackTable t;
  std::vector<uint64_t> user{0x401000, 0x401100, 0x401200};
  std::vector<uint64_t> kernel{0xffffffff81000000};
  auto a = t.intern(1, user, kernel, false);
  auto b = t.intern(1, user, kernel, false);
  EXPECT_TRUE(a.inserted);
  EXPECT_FALSE(b.inserted);
  EXPECT_EQ(a.id, b.id);
  EXPECT_NE(t.intern(2, user, kernel, false).id, a.id);            // other process / exec generation
  EXPECT_NE(t.intern(1, user, {}, false).id, a.id);                // no kernel part
  EXPECT_NE(t.intern(1, user, kernel, true).id, a.id);             // truncated
  // The split between user and kernel IPs is part of the key.
  std::vector<uint64_t> user2{0x401000, 0x401100};
  std::vector<uint64_t> kernel2{0x401200, 0xffffffff81000000};
  EXPECT_NE(t.intern(1, user2, kernel2, false).id, a.id);
  EXPECT_EQ(t.size(), 5u);
}

TEST(StackTable, ManySamplesFewDistinctStacks) {
  StackTable t;
  std::mt19937_64 rng(7);
  std::vector<std::vector<uint64_t>> distinct(1000);
  for (auto& s : distinct) {
    s.resize(4 + rng() % 40);
    for (auto& ip : s) ip = 0x400000 + rng() % 0x100000;
  }
  std::vector<uint32_t> first_id(distinct.size(), UINT32_MAX);
  for (int i = 0; i < 100000; ++i) {
    size_t k = rng() % distinct.size();
    auto r = t.intern(42, distinct[k], {}, false);
    if (first_id[k] == UINT32_MAX) {
      EXPECT_TRUE(r.inserted);
      first_id[k] = r.id;
    } else {
      ASSERT_EQ(r.id, first_id[k]);
      ASSERT_FALSE(r.inserted);
    }
  }
  EXPECT_EQ(t.size(), 1000u);
}
