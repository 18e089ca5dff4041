// Corruption and truncation: the reader never crashes, recovers exactly the
// records of the complete chunks before the damage, and rejects garbage,
// empty files and files without one complete chunk with the offset.
#include <gtest/gtest.h>

#include <map>
#include <random>

#include "capture/capture_fixture.h"
#include "capture/chunk_walk.h"
#include "capture/format.h"
#include "capture/same_records.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture {
namespace {

using testing::ChunkInfo;
using testing::expect_same_records;

// Record totals per chunk type, summed from the chunk headers up to a cut.
std::map<uint16_t, uint64_t> header_totals(const std::vector<ChunkInfo>& chunks, size_t complete) {
  std::map<uint16_t, uint64_t> totals;
  for (size_t i = 0; i < complete; ++i) totals[chunks[i].type] += chunks[i].record_count;
  return totals;
}

bool names_offset(const Error& e, uint64_t offset) {
  return e.message.find("at offset " + std::to_string(offset)) != std::string::npos;
}

class CaptureCorruption : public ::testing::Test {
 protected:
  void SetUp() override {
    testing::TempPath file("corruption.lpc");
    reference_ = testing::make_reference_capture(20'000, 7);
    ASSERT_TRUE(testing::write_capture(file.path(), reference_, 5).ok());
    bytes_ = testing::read_file(file.path());
    chunks_ = testing::walk_chunks(bytes_);
    ASSERT_GT(chunks_.size(), 20u);
    ASSERT_EQ(chunks_.back().end, bytes_.size());
    // What a reader must recover from the first k complete chunks.
    for (size_t k = 1; k <= chunks_.size(); ++k) {
      auto r = read_capture_bytes(std::string_view(bytes_).substr(0, chunks_[k - 1].end));
      ASSERT_TRUE(r.ok()) << r.error().message;
      EXPECT_FALSE(r->read_info.truncated);
      EXPECT_EQ(r->read_info.chunks_read, k);
      prefixes_.push_back(std::move(*r));
    }
  }

  // The index of the last chunk wholly before `cut` (chunk count), 0 when none.
  size_t complete_before(uint64_t cut) const {
    size_t k = 0;
    while (k < chunks_.size() && chunks_[k].end <= cut) ++k;
    return k;
  }

  // Checks a read of bytes cut (or damaged) so that only the first k chunks are intact.
  void expect_recovered(const Result<Capture>& got, size_t k, uint64_t damage_at, bool damaged) {
    if (k == 0) {
      ASSERT_FALSE(got.ok()) << "a file without one complete chunk must be rejected";
      EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
      EXPECT_NE(got.error().message.find("at offset "), std::string::npos) << got.error().message;
      return;
    }
    ASSERT_TRUE(got.ok()) << got.error().message;
    expect_same_records(*got, prefixes_[k - 1]);
    EXPECT_EQ(got->read_info.chunks_read, k);
    EXPECT_EQ(got->read_info.truncated, damaged);
    if (damaged) {
      EXPECT_EQ(got->read_info.damage_offset, damage_at);
      EXPECT_FALSE(got->read_info.damage.empty());
    }
    // Counts against the chunk headers, independently of the reader's own bookkeeping.
    auto totals = header_totals(chunks_, k);
    EXPECT_EQ(got->cpu_samples.size(), totals[uint16_t(ChunkType::cpu_samples)]);
    EXPECT_EQ(got->frames.size(), totals[uint16_t(ChunkType::frames)]);
    EXPECT_EQ(got->stacks.size(), totals[uint16_t(ChunkType::stacks)]);
    EXPECT_EQ(got->mappings.size(), totals[uint16_t(ChunkType::mappings)]);
    EXPECT_EQ(got->clock_sync.size(), totals[uint16_t(ChunkType::clock_sync)]);
    EXPECT_EQ(got->offcpu.size(), totals[uint16_t(ChunkType::offcpu)]);
    EXPECT_EQ(got->io_syscalls.size() + got->io_devices.size(), totals[uint16_t(ChunkType::io_events)]);
    EXPECT_EQ(got->cpu_accounting.size(), totals[uint16_t(ChunkType::cpu_accounting)]);
    EXPECT_EQ(got->requests.size(), totals[uint16_t(ChunkType::requests)]);
    EXPECT_EQ(got->resources.size(), totals[uint16_t(ChunkType::resources)]);
    EXPECT_EQ(got->sockets.size(), totals[uint16_t(ChunkType::sockets)]);
    EXPECT_EQ(got->end.has_value(), totals.count(uint16_t(ChunkType::end)) > 0);
  }

  Capture reference_;
  std::string bytes_;
  std::vector<ChunkInfo> chunks_;
  std::vector<Capture> prefixes_;  // prefixes_[k-1]: the read of the first k chunks
};

TEST_F(CaptureCorruption, FullFileEqualsReference) { expect_same_records(prefixes_.back(), reference_); }

TEST_F(CaptureCorruption, TruncatedAtEveryChunkBoundary) {
  // Exactly at a boundary: a valid capture without the rest (like a killed recorder).
  EXPECT_FALSE(read_capture_bytes(std::string_view(bytes_).substr(0, kFileHeaderSize)).ok());
  for (size_t k = 1; k <= chunks_.size(); ++k) {
    SCOPED_TRACE("boundary after chunk " + std::to_string(k));
    auto got = read_capture_bytes(std::string_view(bytes_).substr(0, chunks_[k - 1].end));
    expect_recovered(got, k, 0, false);
  }
  // One byte past a boundary, and one byte short of the next: damage named at the chunk start.
  for (size_t k = 1; k < chunks_.size(); ++k) {
    SCOPED_TRACE("inside chunk " + std::to_string(k + 1));
    expect_recovered(read_capture_bytes(std::string_view(bytes_).substr(0, chunks_[k].offset + 1)), k,
                     chunks_[k].offset, true);
    expect_recovered(read_capture_bytes(std::string_view(bytes_).substr(0, chunks_[k].end - 1)), k,
                     chunks_[k].offset, true);
  }
}

TEST_F(CaptureCorruption, TruncatedAt200RandomOffsets) {
  std::mt19937_64 rng(42);
  int recovered = 0, rejected = 0;
  for (int i = 0; i < 200; ++i) {
    uint64_t cut = rng() % bytes_.size();
    SCOPED_TRACE("cut at " + std::to_string(cut));
    auto got = read_capture_bytes(std::string_view(bytes_).substr(0, cut));
    size_t k = complete_before(cut);
    bool at_boundary = k > 0 && chunks_[k - 1].end == cut;
    uint64_t damage_at = k < chunks_.size() ? chunks_[k].offset : 0;
    expect_recovered(got, k, damage_at, !at_boundary);
    (got.ok() ? recovered : rejected)++;
  }
  EXPECT_GT(recovered, 150);  // the metadata chunk is a small part of the file
}

TEST_F(CaptureCorruption, SingleByteFlipsIn200Copies) {
  std::mt19937_64 rng(4242);
  for (int i = 0; i < 200; ++i) {
    std::string copy = bytes_;
    uint64_t at = rng() % copy.size();
    copy[at] = char(uint8_t(copy[at]) ^ uint8_t(1 + rng() % 255));
    SCOPED_TRACE("flip at " + std::to_string(at));
    auto got = read_capture_bytes(copy);
    if (at < kFileHeaderSize) {
      ASSERT_FALSE(got.ok());
      EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
      EXPECT_NE(got.error().message.find("at offset "), std::string::npos);
      continue;
    }
    // CRC32C detects every error burst of up to 32 bits: the damaged chunk is found.
    size_t k = complete_before(at);
    expect_recovered(got, k, chunks_[k].offset, true);
  }
}

TEST_F(CaptureCorruption, MultiByteDamageNeverCrashes) {
  std::mt19937_64 rng(99);
  int ok = 0;
  for (int i = 0; i < 200; ++i) {
    std::string copy = bytes_;
    int flips = 1 + int(rng() % 16);
    for (int f = 0; f < flips; ++f) {
      uint64_t at = rng() % copy.size();
      copy[at] = char(uint8_t(copy[at]) ^ uint8_t(1 + rng() % 255));
    }
    uint64_t first = 0;  // the first byte that really differs (two flips may cancel out)
    while (first < copy.size() && copy[first] == bytes_[first]) ++first;
    auto got = read_capture_bytes(copy);
    if (got.ok()) {
      ++ok;
      // Nothing after the first damaged byte's chunk can have been read.
      EXPECT_LE(got->read_info.chunks_read, complete_before(first));
      EXPECT_LE(got->cpu_samples.size(), reference_.cpu_samples.size());
    } else {
      EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
      EXPECT_NE(got.error().message.find("at offset "), std::string::npos) << got.error().message;
    }
  }
  EXPECT_GT(ok, 100);
}

TEST_F(CaptureCorruption, GarbageAfterHeaderIsDamageAtThatOffset) {
  size_t k = chunks_.size() / 2;
  std::string copy = bytes_.substr(0, chunks_[k].offset) + std::string(1000, 'x');
  expect_recovered(read_capture_bytes(copy), k, chunks_[k].offset, true);
}

TEST_F(CaptureCorruption, UnknownChunkTypesInTheMiddleAreSkipped) {
  size_t k = chunks_.size() / 2;
  std::string unknown;
  ASSERT_TRUE(append_chunk(unknown, 999, "future payload", 3, 5, 6, 1, nullptr).ok());
  ASSERT_TRUE(append_chunk(unknown, uint16_t(ChunkType::allocations), "reserved", 1, 0, 0, 1, nullptr).ok());
  // A known type with a flag this reader does not understand is skipped too.
  std::string flagged;
  ASSERT_TRUE(append_chunk(flagged, uint16_t(ChunkType::cpu_samples), "???", 1, 0, 0, 1, nullptr).ok());
  testing::set_chunk_flags(flagged, 0, kChunkFlagZstd | (1u << 7));
  // And a known type whose payload claims a newer encoding version.
  std::string newer;
  ASSERT_TRUE(
      append_chunk(newer, uint16_t(ChunkType::cpu_samples), std::string("\x02", 1), 0, 0, 0, 1, nullptr)
          .ok());
  std::string copy =
      bytes_.substr(0, chunks_[k].offset) + unknown + flagged + newer + bytes_.substr(chunks_[k].offset);

  auto got = read_capture_bytes(copy);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_FALSE(got->read_info.truncated);
  EXPECT_EQ(got->read_info.chunks_skipped_unknown, 4u);
  EXPECT_EQ(got->read_info.chunks_read, chunks_.size());
  expect_same_records(*got, reference_);
}

TEST(CaptureReaderInput, EmptyFileIsCorruptAtOffset0) {
  auto got = read_capture_bytes("");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
  EXPECT_TRUE(names_offset(got.error(), 0)) << got.error().message;
}

TEST(CaptureReaderInput, GarbageIsCorruptAtOffset0) {
  for (std::string garbage : {std::string("hello world, this is not a capture\n"), std::string("LPX\x01"),
                              std::string("main;foo;bar 12\n"), std::string(4096, '\0')}) {
    auto got = read_capture_bytes(garbage);
    ASSERT_FALSE(got.ok());
    EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
    EXPECT_TRUE(names_offset(got.error(), 0)) << got.error().message;
  }
}

TEST(CaptureReaderInput, ShortOrFutureHeaders) {
  std::string header = encode_file_header();
  auto short_header = read_capture_bytes(header.substr(0, 9));
  ASSERT_FALSE(short_header.ok());
  EXPECT_TRUE(names_offset(short_header.error(), 9)) << short_header.error().message;

  auto only_header = read_capture_bytes(header);
  ASSERT_FALSE(only_header.ok());
  EXPECT_TRUE(names_offset(only_header.error(), 16)) << only_header.error().message;

  std::string future = header;
  future[3] = 2;  // major version 2
  auto got = read_capture_bytes(future);
  ASSERT_FALSE(got.ok());
  EXPECT_NE(got.error().message.find("version 2"), std::string::npos) << got.error().message;
  EXPECT_TRUE(names_offset(got.error(), 3));
}

TEST(CaptureReaderInput, MissingFileIsAnIoErrorNamingThePath) {
  auto got = read_capture("/nonexistent/loadprof/x.lpc");
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::io);
  EXPECT_NE(got.error().message.find("/nonexistent/loadprof/x.lpc"), std::string::npos);
}

TEST(CaptureReaderInput, ReadCaptureNamesPathAndOffset) {
  testing::TempPath file("garbage.lpc");
  testing::write_file(file.path(), "not a capture");
  auto got = read_capture(file.path());
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::corrupt_input);
  EXPECT_NE(got.error().message.find(file.path()), std::string::npos);
  EXPECT_TRUE(names_offset(got.error(), 0));
}

}  // namespace
}  // namespace loadprof::capture
