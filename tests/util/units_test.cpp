// Unit parsing: durations and sizes as SPEC.md spells them, and the bad ones.
#include "loadprof/util/units.h"

#include <gtest/gtest.h>

using namespace loadprof;

TEST(Units, DurationsWithAndWithoutSuffix) {
  EXPECT_EQ(*parse_duration_ns("10"), 10'000'000'000);
  EXPECT_EQ(*parse_duration_ns("10s"), 10'000'000'000);
  EXPECT_EQ(*parse_duration_ns("250ms"), 250'000'000);
  EXPECT_EQ(*parse_duration_ns("40us"), 40'000);
  EXPECT_EQ(*parse_duration_ns("1.5m"), 90'000'000'000);
  EXPECT_EQ(*parse_duration_ns("2h"), 7'200'000'000'000);
  EXPECT_EQ(*parse_duration_ns_default_ms("50"), 50'000'000);
}

TEST(Units, BadDurationsAreUsageErrorsNamingTheText) {
  for (const char* bad : {"", "s", "-1s", "10x", "1..2s", "ten", "10 s", "1e400", "99999999999h"}) {
    auto r = parse_duration_ns(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
    EXPECT_NE(r.error().message.find(std::string("'") + bad + "'"), std::string::npos) << r.error().message;
  }
}

TEST(Units, CompoundDurationsLargestUnitFirst) {
  EXPECT_EQ(*parse_duration_ns("1m30s"), 90'000'000'000);
  EXPECT_EQ(*parse_duration_ns("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(*parse_duration_ns("2s500ms"), 2'500'000'000);
  EXPECT_EQ(*parse_duration_ns("1h1m1s1ms1us1ns"), 3'661'001'001'001);
  EXPECT_EQ(*parse_duration_ns("1.5h30m"), 7'200'000'000'000);
  EXPECT_EQ(*parse_duration_ns_default_ms("1s200ms"), 1'200'000'000);
  // The largest that fits int64 nanoseconds, and just over it.
  EXPECT_TRUE(parse_duration_ns("2555555h").ok());
  EXPECT_FALSE(parse_duration_ns("2555555h59m").ok());
  // Units out of order or repeated, a trailing bare number, a stray separator.
  for (const char* bad : {"30s1m", "1m1m", "1m30", "1h 30m", "1h,30m", "1m30s5", "m30s", "1hh"}) {
    auto r = parse_duration_ns(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, ErrorKind::usage);
  }
}

TEST(Units, DurationErrorListsTheAcceptedForms) {
  auto r = parse_duration_ns("1m30");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(
      r.error().message,
      "invalid duration '1m30' (accepted: 10s, 250ms, 1.5m, 1m30s, 1h30m; units h m s ms us ns, largest "
      "first; a bare number is seconds)");
  auto ms = parse_duration_ns_default_ms("5x");
  ASSERT_FALSE(ms.ok());
  EXPECT_NE(ms.error().message.find("a bare number is milliseconds"), std::string::npos)
      << ms.error().message;
}

TEST(Units, Sizes) {
  EXPECT_EQ(*parse_size_bytes("512"), 512u);
  EXPECT_EQ(*parse_size_bytes("512B"), 512u);
  EXPECT_EQ(*parse_size_bytes("64KiB"), 65536u);
  EXPECT_EQ(*parse_size_bytes("2MiB"), 2u * 1024 * 1024);
  EXPECT_EQ(*parse_size_bytes("1GiB"), 1024ull * 1024 * 1024);
  EXPECT_FALSE(parse_size_bytes("1KB").ok());
  EXPECT_FALSE(parse_size_bytes("-1").ok());
}

TEST(Units, Integers) {
  EXPECT_EQ(*parse_uint("999"), 999u);
  EXPECT_FALSE(parse_uint("99a").ok());
  EXPECT_FALSE(parse_uint("").ok());
  EXPECT_FALSE(parse_uint("18446744073709551616").ok());
}

TEST(Units, Formatting) {
  EXPECT_EQ(format_duration_ns(1'500'000), "1.50ms");
  EXPECT_EQ(format_duration_ns(999), "999ns");
  EXPECT_EQ(format_bytes(65536), "64.0 KiB");
}
