// Byte-level checks of the container: CRC32C check value, file and chunk
// header layout as docs/CAPTURE_FORMAT.md states it, varint edge cases.
#include "capture/format.h"

#include <gtest/gtest.h>

#include "capture/bytes.h"
#include "capture/capture_fixture.h"
#include "capture/chunk_walk.h"
#include "capture/crc32c.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture {
namespace {

TEST(CaptureFormat, Crc32cCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);  // the standard CRC-32C check value
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);  // RFC 3720 B.4: 32 bytes of zeros
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  // Incremental use equals one pass, across the 8-byte fast path boundary.
  std::string text = "The quick brown fox jumps over the lazy dog";
  EXPECT_EQ(crc32c(text.substr(13), crc32c(text.substr(0, 13))), crc32c(text));
}

TEST(CaptureFormat, FileHeaderBytes) {
  std::string h = encode_file_header();
  ASSERT_EQ(h.size(), 16u);
  EXPECT_EQ(h.substr(0, 3), "LPC");
  EXPECT_EQ(uint8_t(h[3]), 1u);                         // major
  EXPECT_EQ(h.substr(4, 2), std::string("\0\0", 2));    // minor 0
  EXPECT_EQ(h.substr(6, 2), std::string("\x10\0", 2));  // header size 16
  EXPECT_EQ(ByteReader(std::string_view(h).substr(12)).u32le(), crc32c(std::string_view(h).substr(0, 12)));
  EXPECT_TRUE(looks_like_capture(h));
  EXPECT_FALSE(looks_like_capture("LPC;main;work 12\n"));
  EXPECT_FALSE(looks_like_capture("LP"));
}

TEST(CaptureFormat, ChunkHeaderLayoutAndOrder) {
  testing::TempPath file("layout.lpc");
  Capture c = testing::make_reference_capture(100);
  ASSERT_TRUE(testing::write_capture(file.path(), c, 1).ok());
  std::string bytes = testing::read_file(file.path());
  ASSERT_GT(bytes.size(), 16u + 48u);
  std::string_view h = std::string_view(bytes).substr(16, 48);
  EXPECT_EQ(h.substr(0, 4), "LPCK");
  ByteReader r(h.substr(4));
  EXPECT_EQ(r.u16le(), 48u);                            // header size
  EXPECT_EQ(r.u16le(), uint16_t(ChunkType::metadata));  // type
  EXPECT_EQ(r.u32le(), kChunkFlagZstd);                 // flags
  EXPECT_EQ(r.u32le(), 1u);                             // record count
  r.u32le();
  uint32_t stored = r.u32le();
  EXPECT_EQ(r.u64le(), c.metadata.start_monotonic_ns);  // time range
  EXPECT_EQ(r.u64le(), c.metadata.start_monotonic_ns);
  EXPECT_EQ(r.u32le(), crc32c(std::string_view(bytes).substr(64, stored)));
  EXPECT_EQ(r.u32le(), crc32c(h.substr(0, 44)));
  // The zstd frame magic 28 B5 2F FD opens the payload.
  EXPECT_EQ(std::string_view(bytes).substr(64, 4), std::string_view("\x28\xb5\x2f\xfd", 4));

  // Dictionaries before their use: frames and stacks precede the first samples chunk.
  std::vector<uint16_t> types;
  for (const auto& chunk : testing::walk_chunks(bytes)) types.push_back(chunk.type);
  // (The fixture flushes once after half of the frames, then writes everything else.)
  std::vector<uint16_t> want = {
      uint16_t(ChunkType::metadata),       uint16_t(ChunkType::clock_sync), uint16_t(ChunkType::processes),
      uint16_t(ChunkType::threads),        uint16_t(ChunkType::mappings),   uint16_t(ChunkType::frames),
      uint16_t(ChunkType::frames),         uint16_t(ChunkType::stacks),     uint16_t(ChunkType::cpu_samples),
      uint16_t(ChunkType::offcpu),         uint16_t(ChunkType::io_events),  uint16_t(ChunkType::allocations),
      uint16_t(ChunkType::cpu_accounting), uint16_t(ChunkType::requests),   uint16_t(ChunkType::resources),
      uint16_t(ChunkType::sockets),        uint16_t(ChunkType::drops),      uint16_t(ChunkType::end)};
  EXPECT_EQ(types, want);
}

TEST(CaptureFormat, SampleChunkTimeRange) {
  testing::TempPath file("range.lpc");
  Capture c = testing::make_reference_capture(1000);
  ASSERT_TRUE(testing::write_capture(file.path(), c, 1).ok());
  std::string bytes = testing::read_file(file.path());
  uint64_t lo = UINT64_MAX, hi = 0;
  for (const auto& s : c.cpu_samples) lo = std::min(lo, s.time_ns), hi = std::max(hi, s.time_ns);
  bool seen = false;
  for (const auto& chunk : testing::walk_chunks(bytes)) {
    if (chunk.type != uint16_t(ChunkType::cpu_samples)) continue;
    ByteReader r(std::string_view(bytes).substr(chunk.offset + 24));
    EXPECT_EQ(r.u64le(), lo);
    EXPECT_EQ(r.u64le(), hi);
    EXPECT_EQ(chunk.record_count, 1000u);
    seen = true;
  }
  EXPECT_TRUE(seen);
}

TEST(CaptureFormat, VarintEdges) {
  std::string out;
  ByteWriter w(out);
  w.varint(0);
  w.varint(127);
  w.varint(128);
  w.varint(UINT64_MAX);
  w.svarint(-1);
  w.svarint(INT64_MIN);
  w.str("x;y");
  EXPECT_EQ(out.size(), 1u + 1 + 2 + 10 + 1 + 10 + 4);
  ByteReader r(out);
  EXPECT_EQ(r.varint(), 0u);
  EXPECT_EQ(r.varint(), 127u);
  EXPECT_EQ(r.varint(), 128u);
  EXPECT_EQ(r.varint(), UINT64_MAX);
  EXPECT_EQ(r.svarint(), -1);
  EXPECT_EQ(r.svarint(), INT64_MIN);
  EXPECT_EQ(r.str(), "x;y");
  EXPECT_TRUE(r.ok());
  EXPECT_TRUE(r.at_end());

  // An 11-byte varint, a tenth byte above 1, a string longer than its input: all fail, no overrun.
  // (ByteReader views its input: the strings must outlive the readers.)
  const std::string overlong_bytes(11, '\x80'), too_big_bytes = std::string(9, '\xff') + "\x02",
                                                short_bytes(
                                                    "\x05"
                                                    "ab",
                                                    3),
                                                huge_bytes("\xff\xff\xff\xff\x0f", 5);
  ByteReader overlong(overlong_bytes);
  overlong.varint();
  EXPECT_FALSE(overlong.ok());
  ByteReader too_big(too_big_bytes);
  too_big.varint();
  EXPECT_FALSE(too_big.ok());
  ByteReader short_str(short_bytes);
  EXPECT_EQ(short_str.str(), "");
  EXPECT_FALSE(short_str.ok());
  ByteReader huge_count(huge_bytes);
  EXPECT_EQ(huge_count.count(5), 0u);
  EXPECT_FALSE(huge_count.ok());
}

TEST(CaptureFormat, ChunkTypeNames) {
  EXPECT_STREQ(chunk_type_name(uint16_t(ChunkType::cpu_samples)), "cpu samples");
  EXPECT_STREQ(chunk_type_name(uint16_t(ChunkType::allocations)), "allocations");
  EXPECT_STREQ(chunk_type_name(999), "unknown");
  EXPECT_TRUE(chunk_type_known(uint16_t(ChunkType::requests)));
  EXPECT_TRUE(chunk_type_known(uint16_t(ChunkType::io_events)));
  EXPECT_TRUE(chunk_type_known(uint16_t(ChunkType::allocations)));
  EXPECT_FALSE(chunk_type_known(uint16_t(ChunkType::load_histograms)));
  EXPECT_FALSE(chunk_type_known(0));
}

}  // namespace
}  // namespace loadprof::capture
