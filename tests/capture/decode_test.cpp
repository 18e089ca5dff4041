// Chunks with valid checksums but inconsistent contents (what a buggy or
// hostile writer could produce): the reader must still stop there cleanly,
// keep what came before, and say why.
#include <gtest/gtest.h>
#include <zstd.h>

#include "capture/capture_fixture.h"
#include "capture/chunk_walk.h"
#include "capture/codec.h"
#include "capture/format.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture {
namespace {

// File header + metadata chunk: a valid one-chunk capture to append to.
std::string base_capture() {
  std::string out = encode_file_header();
  Metadata m;
  m.hostname = "h";
  EncodedChunk c = encode_metadata(m);
  EXPECT_TRUE(append_chunk(out, c.type, c.payload, c.record_count, 0, 0, 1, nullptr).ok());
  return out;
}

std::string chunk_of(const EncodedChunk& c) {
  std::string out;
  EXPECT_TRUE(
      append_chunk(out, c.type, c.payload, c.record_count, c.time_min_ns, c.time_max_ns, 1, nullptr).ok());
  return out;
}

void expect_damage(const std::string& bytes, uint64_t offset, const std::string& why_part) {
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_TRUE(got->read_info.truncated);
  EXPECT_EQ(got->read_info.damage_offset, offset);
  EXPECT_NE(got->read_info.damage.find(why_part), std::string::npos) << got->read_info.damage;
  EXPECT_EQ(got->metadata.hostname, "h");
}

TEST(CaptureDecode, StackReferencingUndefinedFrame) {
  std::string bytes = base_capture();
  uint64_t at = bytes.size();
  bytes += chunk_of(encode_stacks(0, {{{0}, false}}));  // no frames defined yet
  expect_damage(bytes, at, "frame 0 before its definition");
}

TEST(CaptureDecode, SampleReferencingUndefinedStack) {
  std::string bytes = base_capture();
  bytes += chunk_of(encode_frames(0, {Frame{}}));
  bytes += chunk_of(encode_stacks(0, {{{0}, false}}));
  uint64_t at = bytes.size();
  bytes += chunk_of(encode_cpu_samples({{1, 1, 1, 0, 0}, {2, 1, 1, 0, 1}}));  // stack 1 does not exist
  expect_damage(bytes, at, "stack 1 before its definition");
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->stacks.size(), 1u);
  EXPECT_TRUE(got->cpu_samples.empty()) << "a damaged chunk is applied all or nothing";
}

TEST(CaptureDecode, IoSyscallReferencingUndefinedStackIsDamageAndAppliesNothing) {
  std::string bytes = base_capture();
  IoSyscallRecord r;
  r.start_ns = 5;
  r.end_ns = 9;
  r.count = 1;
  r.stack = 0;  // no stack defined
  IoDeviceRecord d;
  d.device = "vda";
  d.count = 1;
  uint64_t at = bytes.size();
  bytes += chunk_of(encode_io_events({r}, {d}));
  expect_damage(bytes, at, "stack 0 before its definition");
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  EXPECT_TRUE(got->io_syscalls.empty());
  EXPECT_TRUE(got->io_devices.empty()) << "a damaged chunk is applied all or nothing";
}

TEST(CaptureDecode, IoEnumsOfALaterVersionReadAsOther) {
  std::string bytes = base_capture();
  IoSyscallRecord r;
  r.count = 1;
  r.syscall = IoSyscall(200);
  r.fd_kind = FdKind(77);
  IoDeviceRecord d;
  d.op = BlockOp(99);
  bytes += chunk_of(encode_io_events({r}, {d}));
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->io_syscalls.size(), 1u);
  EXPECT_EQ(got->io_syscalls[0].syscall, IoSyscall::other);
  EXPECT_EQ(got->io_syscalls[0].fd_kind, FdKind::other);
  ASSERT_EQ(got->io_devices.size(), 1u);
  EXPECT_EQ(got->io_devices[0].op, BlockOp::other);
}

TEST(CaptureDecode, IoRecordCountMismatch) {
  std::string bytes = base_capture();
  EncodedChunk c = encode_io_events({IoSyscallRecord{}}, {IoDeviceRecord{}});
  c.record_count = 1;  // 2 records inside
  uint64_t at = bytes.size();
  bytes += chunk_of(c);
  expect_damage(bytes, at, "does not match the chunk header");
}

TEST(CaptureDecode, SymbolsForAnUndefinedStackOrFrame) {
  std::string bytes = base_capture();
  bytes += chunk_of(encode_frames(0, {Frame{}, Frame{}}));
  bytes += chunk_of(encode_stacks(0, {{{0}, false}}));
  uint64_t at = bytes.size();
  bytes += chunk_of(encode_stack_symbols({{0, {{1}, false}}, {1, {{0}, false}}}));  // stack 1 does not exist
  expect_damage(bytes, at, "symbols for stack 1 before its definition");
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->stacks.size(), 1u);
  EXPECT_EQ(got->stacks[0].frames, std::vector<FrameId>{0}) << "a damaged chunk is applied all or nothing";

  std::string frames_bad = base_capture();
  frames_bad += chunk_of(encode_frames(0, {Frame{}}));
  frames_bad += chunk_of(encode_stacks(0, {{{0}, false}}));
  at = frames_bad.size();
  frames_bad += chunk_of(encode_stack_symbols({{0, {{0, 3}, false}}}));
  expect_damage(frames_bad, at, "frame 3 before its definition");
}

TEST(CaptureDecode, DictionaryIdGap) {
  std::string bytes = base_capture();
  bytes += chunk_of(encode_frames(0, {Frame{}, Frame{}}));
  uint64_t at = bytes.size();
  bytes += chunk_of(encode_frames(3, {Frame{}}));  // expected first id 2
  expect_damage(bytes, at, "starts at id 3, expected 2");
}

TEST(CaptureDecode, RecordCountMismatch) {
  std::string bytes = base_capture();
  EncodedChunk c = encode_cpu_samples({{1, 1, 1, 0, kNoStack}});
  c.record_count = 2;
  uint64_t at = bytes.size();
  bytes += chunk_of(c);
  expect_damage(bytes, at, "record count 1 does not match");
}

TEST(CaptureDecode, TrailingBytesInAPayloadAreIgnored) {
  // Room for a later minor version to append fields.
  std::string bytes = base_capture();
  EncodedChunk c = encode_cpu_samples({{1, 1, 1, 0, kNoStack}});
  c.payload += "future column";
  bytes += chunk_of(c);
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->read_info.truncated);
  EXPECT_EQ(got->cpu_samples.size(), 1u);
}

TEST(CaptureDecode, UncompressedChunkIsAccepted) {
  std::string bytes = base_capture();
  EncodedChunk c = encode_cpu_samples({{5, 7, 8, 1, kNoStack}, {6, 7, 7, 0, kNoStack}});
  bytes += testing::raw_chunk(c.type, 0, c.record_count, uint32_t(c.payload.size()), c.payload);
  auto got = read_capture_bytes(bytes);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->cpu_samples.size(), 2u);
  EXPECT_EQ(got->cpu_samples[0].tid, 8u);
  EXPECT_EQ(got->cpu_samples[1].time_ns, 6u);
}

TEST(CaptureDecode, OversizedAndMismatchedZstdFrames) {
  // 33 MiB of zeros compress to a few KiB: the reader must refuse it from the header.
  std::string zeros((32u << 20) + (1u << 20), '\0');
  std::string frame(ZSTD_compressBound(zeros.size()), '\0');
  frame.resize(ZSTD_compress(frame.data(), frame.size(), zeros.data(), zeros.size(), 1));
  std::string bytes = base_capture();
  uint64_t at = bytes.size();
  expect_damage(bytes + testing::raw_chunk(uint16_t(ChunkType::cpu_samples), kChunkFlagZstd, 0,
                                           uint32_t(zeros.size()), frame),
                at, "claims");
  // A header that understates the frame's content size.
  expect_damage(bytes + testing::raw_chunk(uint16_t(ChunkType::cpu_samples), kChunkFlagZstd, 0, 100, frame),
                at, "zstd frame size does not match");
  // Not a zstd frame at all.
  expect_damage(bytes + testing::raw_chunk(uint16_t(ChunkType::cpu_samples), kChunkFlagZstd, 0, 4, "abcd"),
                at, "zstd");
}

TEST(CaptureDecode, BadChunkHeaderSize) {
  std::string bytes = base_capture();
  uint64_t at = bytes.size();
  std::string chunk = testing::raw_chunk(uint16_t(ChunkType::end), 0, 0, 0, "");
  chunk[4] = 20;  // header size 20 < 48
  expect_damage(bytes + chunk, at, "bad chunk header size");
}

TEST(CaptureDecode, PayloadWithoutEncodingVersion) {
  std::string bytes = base_capture();
  uint64_t at = bytes.size();
  expect_damage(bytes + testing::raw_chunk(uint16_t(ChunkType::end), 0, 1, 0, ""), at, "empty payload");
  expect_damage(bytes + testing::raw_chunk(uint16_t(ChunkType::end), 0, 1, 1, std::string(1, '\0')), at,
                "encoding version 0");
}

}  // namespace
}  // namespace loadprof::capture
