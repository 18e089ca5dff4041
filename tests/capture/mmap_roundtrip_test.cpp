// The mmap probe's records (chunk 25) and the page faults appended to the
// resources records survive a write and a read; a time window keeps the
// mmap records that overlap it.
#include <gtest/gtest.h>

#include "capture/capture_fixture.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"

namespace loadprof::capture {
namespace {

using testing::TempPath;

Capture written_and_read(const std::string& name, const std::vector<MmapRecord>& mmaps,
                         const std::vector<ResourceSample>& resources, const ReadOptions& options = {}) {
  TempPath file(name);
  Metadata meta;
  meta.start_monotonic_ns = 1'000'000'000;
  meta.probes = {"alloc"};
  auto created = CaptureWriter::create(file.path(), meta);
  EXPECT_TRUE(created.ok());
  auto& w = **created;
  Stack s;
  s.frames = {w.add_frame(Frame{0x1000, "map_chunks", "mapper"}),
              w.add_frame(Frame{0x2000, "main", "mapper"})};
  EXPECT_EQ(w.add_stack(s), StackId(0));
  for (const auto& m : mmaps) w.add_mmap(m);
  for (const auto& r : resources) w.add_resource(r);
  EXPECT_TRUE(w.finish(EndInfo{9'000'000'000, false, std::nullopt, "duration"}).ok());
  auto got = read_capture(file.path(), options);
  EXPECT_TRUE(got.ok()) << (got.ok() ? "" : got.error().message);
  return got.ok() ? std::move(*got) : Capture{};
}

TEST(MmapRecords, RoundTripEveryField) {
  const std::vector<MmapRecord> want = {
      {1'100'000'000, 1'900'000'000, 100, 103, MmapOp::mmap_anon, 64, 64u << 20, 0},
      {1'200'000'000, 1'200'000'000, 100, 100, MmapOp::brk_grow, 16, 4u << 20, kNoStack},
      {1'300'000'000, 1'400'000'000, 101, 101, MmapOp::munmap_file, 1, 4096, 0}};
  ResourceSample r;
  r.time_ns = 2'000'000'000;
  r.pid = 100;
  r.interval_ns = 1'000'000'000;
  r.rss_bytes = 64u << 20;
  r.minor_faults = 16'384;
  r.major_faults = 3;
  Capture got = written_and_read("mmap.lpc", want, {r});
  EXPECT_EQ(got.mmaps, want);
  ASSERT_EQ(got.resources.size(), 1u);
  EXPECT_EQ(got.resources[0], r);
}

// mremap (added after chunk 25 was first written): two more op indices, the
// record layout unchanged. A capture written before them holds ops 0..5 by
// the same indices (checked here), so it reads as it did; an index a later
// version adds reads as other (counted nowhere, shown nowhere).
TEST(MmapRecords, MremapOpsRoundTripAndOlderIndicesKeepTheirMeaning) {
  EXPECT_EQ(uint8_t(MmapOp::mmap_anon), 0);
  EXPECT_EQ(uint8_t(MmapOp::mmap_file), 1);
  EXPECT_EQ(uint8_t(MmapOp::munmap_anon), 2);
  EXPECT_EQ(uint8_t(MmapOp::munmap_file), 3);
  EXPECT_EQ(uint8_t(MmapOp::brk_grow), 4);
  EXPECT_EQ(uint8_t(MmapOp::brk_shrink), 5);
  EXPECT_EQ(uint8_t(MmapOp::mremap_grow), 6);
  EXPECT_EQ(uint8_t(MmapOp::mremap_shrink), 7);
  const std::vector<MmapRecord> want = {
      {1'100'000'000, 1'900'000'000, 100, 103, MmapOp::mremap_grow, 8, 16u << 20, 0},
      {1'200'000'000, 1'300'000'000, 100, 100, MmapOp::mremap_shrink, 4, 8u << 20, 0},
      {1'300'000'000, 1'400'000'000, 100, 100, MmapOp::brk_shrink, 1, 4096, kNoStack}};
  EXPECT_EQ(written_and_read("mremap.lpc", want, {}).mmaps, want);
  std::vector<MmapRecord> later = {{1'100'000'000, 1'100'000'000, 100, 100, MmapOp(42), 1, 4096, 0}};
  Capture got = written_and_read("mmap_later.lpc", later, {});
  ASSERT_EQ(got.mmaps.size(), 1u);
  EXPECT_EQ(got.mmaps[0].op, MmapOp::other);
  EXPECT_EQ(got.mmaps[0].bytes, 4096u);
}

TEST(MmapRecords, WindowKeepsWhatOverlapsIt) {
  const std::vector<MmapRecord> records = {
      {1'100'000'000, 1'900'000'000, 100, 100, MmapOp::mmap_anon, 2, 8192, 0},
      {5'100'000'000, 5'200'000'000, 100, 100, MmapOp::mmap_anon, 1, 4096, 0}};
  ReadOptions window;
  window.window_from_start = true;
  window.window_start_ns = 3'000'000'000;  // from the capture start: 4 s .. 5.5 s monotonic
  window.window_end_ns = 4'500'000'000;
  Capture got = written_and_read("mmap_window.lpc", records, {}, window);
  ASSERT_EQ(got.mmaps.size(), 1u);
  EXPECT_EQ(got.mmaps[0], records[1]);
}

}  // namespace
}  // namespace loadprof::capture
