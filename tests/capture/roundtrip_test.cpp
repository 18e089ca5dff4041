// Round trip: every record kind written by CaptureWriter comes back from
// read_capture exactly, including 100,000 samples and the last-wins rules.
#include <gtest/gtest.h>

#include "capture/capture_fixture.h"
#include "capture/same_records.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"

namespace loadprof::capture {
namespace {

using testing::expect_same_records;
using testing::TempPath;

TEST(CaptureRoundTrip, EveryRecordKindWith100kSamples) {
  TempPath file("roundtrip.lpc");
  Capture want = testing::make_reference_capture(100'000);
  ASSERT_TRUE(testing::write_capture(file.path(), want).ok());

  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  expect_same_records(*got, want);
  EXPECT_FALSE(got->read_info.truncated);
  EXPECT_EQ(got->read_info.chunks_skipped_unknown, 0u);
  // metadata + 2 frames chunks + per batch (4): clock sync? processes? ... counted exactly in format_test;
  // here: more than one chunk per kind proves ids and deltas continue across chunks.
  EXPECT_GT(got->read_info.chunks_read, 15u);
}

TEST(CaptureRoundTrip, SingleBatchAndBytesWritten) {
  TempPath file("single.lpc");
  Capture want = testing::make_reference_capture(1000);
  auto created = CaptureWriter::create(file.path(), want.metadata);
  ASSERT_TRUE(created.ok());
  auto& w = **created;
  for (const auto& s : want.clock_sync) w.add_clock_sync(s);
  for (const auto& p : want.processes) w.add_process(p);
  for (const auto& t : want.threads) w.add_thread(t);
  for (const auto& m : want.mappings) w.add_mapping(m);
  for (size_t i = 0; i < want.frames.size(); ++i) EXPECT_EQ(w.add_frame(want.frames[i]), FrameId(i));
  for (size_t i = 0; i < want.stacks.size(); ++i) EXPECT_EQ(w.add_stack(want.stacks[i]), StackId(i));
  for (const auto& s : want.cpu_samples) w.add_cpu_sample(s);
  for (const auto& o : want.offcpu) w.add_offcpu(o);
  for (const auto& r : want.io_syscalls) w.add_io_syscall(r);
  for (const auto& r : want.io_devices) w.add_io_device(r);
  for (const auto& e : want.allocs) w.add_alloc(e);
  if (want.alloc_info) w.set_alloc_info(*want.alloc_info);
  for (const auto& s : want.sockets) w.add_socket(s);
  for (const auto& a : want.cpu_accounting) w.add_cpu_accounting(a);
  for (const auto& r : want.requests) w.add_request(r);
  for (const auto& r : want.resources) w.add_resource(r);
  w.set_drops(want.drops);
  ASSERT_TRUE(w.finish(*want.end).ok());
  EXPECT_EQ(w.bytes_written(), testing::read_file(file.path()).size());

  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  expect_same_records(*got, want);
  // metadata, clock sync, processes, threads, mappings, frames, stacks, samples,
  // off-cpu, io events, allocations, accounting, requests, resources, sockets, drops, end: 17 chunks, one per
  // kind.
  EXPECT_EQ(got->read_info.chunks_read, 17u);
}

TEST(CaptureRoundTrip, WithoutEndChunkIsValid) {
  TempPath file("noend.lpc");
  Capture want = testing::make_reference_capture(5000);
  ASSERT_TRUE(testing::write_capture(file.path(), want, 3, /*finish=*/false).ok());
  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_FALSE(got->end.has_value());
  EXPECT_FALSE(got->read_info.truncated);
  EXPECT_EQ(got->cpu_samples, want.cpu_samples);
}

TEST(CaptureRoundTrip, WriterDestroyedWithoutFinishKeepsPendingRecords) {
  TempPath file("dropped.lpc");
  Capture want = testing::make_reference_capture(10);
  {
    auto created = CaptureWriter::create(file.path(), want.metadata);
    ASSERT_TRUE(created.ok());
    for (const auto& s : want.cpu_samples) {
      CpuSample no_stack = s;
      no_stack.stack = kNoStack;
      (*created)->add_cpu_sample(no_stack);
    }
  }
  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->cpu_samples.size(), 10u);
  EXPECT_FALSE(got->end.has_value());
}

TEST(CaptureRoundTrip, LastProcessRecordAndLastDropsWin) {
  TempPath file("lastwins.lpc");
  Metadata meta;
  meta.hostname = "h";
  auto created = CaptureWriter::create(file.path(), meta);
  ASSERT_TRUE(created.ok());
  auto& w = **created;
  w.add_process({7, 1, "first", 10, std::nullopt, std::nullopt, std::nullopt, false, true});
  w.add_process({8, 7, "child", 11, std::nullopt, std::nullopt, std::nullopt, false, false});
  w.set_drops({{"cpu", {{"a", 1}}}});
  ASSERT_TRUE(w.flush().ok());
  w.add_process({7, 1, "renamed", 10, 99, 3, std::nullopt, false, true});
  w.set_drops({{"cpu", {{"b", 2}}}});
  ASSERT_TRUE(w.flush().ok());
  ASSERT_TRUE(w.finish({100, false, std::nullopt, "duration"}).ok());

  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->processes.size(), 2u);
  EXPECT_EQ(got->processes[0].pid, 7u);
  EXPECT_EQ(got->processes[0].command, "renamed");
  EXPECT_EQ(got->processes[0].exit_ns, std::optional<uint64_t>(99));
  EXPECT_EQ(got->processes[0].exit_code, std::optional<int>(3));
  EXPECT_EQ(got->processes[1].command, "child");
  EXPECT_EQ(got->drops, (DropCounters{{"cpu", {{"b", 2}}}}));
  ASSERT_TRUE(got->end.has_value());
  EXPECT_EQ(got->end->reason, "duration");
}

TEST(CaptureRoundTrip, PendingBoundFlushesOnItsOwn) {
  TempPath file("bound.lpc");
  auto created = CaptureWriter::create(file.path(), Metadata{});
  ASSERT_TRUE(created.ok());
  auto& w = **created;
  uint64_t after_header = w.bytes_written();
  // 24-byte samples: the ~4 MiB bound is passed after ~175,000 of them.
  for (uint32_t i = 0; i < 400'000; ++i) w.add_cpu_sample({uint64_t(i) * 1000, 1, 1, 0, kNoStack});
  EXPECT_GT(w.bytes_written(), after_header) << "no automatic flush before flush()";
  ASSERT_TRUE(w.finish({400'000'000, false, std::nullopt, "duration"}).ok());
  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->cpu_samples.size(), 400'000u);
  EXPECT_EQ(got->cpu_samples[399'999].time_ns, 399'999'000u);
  EXPECT_GE(got->read_info.chunks_read, 4u);  // metadata, >= 2 sample chunks, end
}

// A stack written with its raw addresses first and its symbols later (the
// recorder's two steps) reads back with the later frames, across chunks; one
// never replaced keeps its own.
TEST(CaptureRoundTrip, ReplacedStackFramesWin) {
  TempPath file("replaced.lpc");
  Metadata md;
  auto created = CaptureWriter::create(file.path(), md);
  ASSERT_TRUE(created.ok());
  auto& w = **created;
  Frame raw_a, raw_b, named_a, named_b, named_inline;
  raw_a.function = "0x401000";
  raw_b.function = "0x401200";
  named_a.function = "leaf";
  named_b.function = "main";
  named_inline.function = "inlined_helper";
  named_inline.inlined = true;
  const FrameId ra = w.add_frame(raw_a), rb = w.add_frame(raw_b);
  const StackId s0 = w.add_stack({{ra, rb}, false});
  const StackId s1 = w.add_stack({{rb}, true});
  w.add_cpu_sample({10, 1, 1, 0, s0});
  w.add_cpu_sample({20, 1, 1, 0, s1});
  ASSERT_TRUE(w.flush().ok());  // the raw stacks and their samples in one chunk set...
  const FrameId na = w.add_frame(named_a), ni = w.add_frame(named_inline), nb = w.add_frame(named_b);
  w.replace_stack(s0, {{ni, na, nb}, false});  // ...their symbols in a later one
  ASSERT_TRUE(w.finish(EndInfo{}).ok());

  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_EQ(got->stacks.size(), 2u);
  EXPECT_EQ(got->stacks[s0].frames, (std::vector<FrameId>{ni, na, nb}));
  EXPECT_FALSE(got->stacks[s0].truncated);
  EXPECT_EQ(got->stacks[s1].frames, (std::vector<FrameId>{rb}));
  EXPECT_TRUE(got->stacks[s1].truncated);
  EXPECT_EQ(got->read_info.chunks_skipped_unknown, 0u);
}

TEST(CaptureRoundTrip, CreateFailsOnBadPath) {
  auto created = CaptureWriter::create("/nonexistent-dir/x.lpc", Metadata{});
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind, ErrorKind::io);
  EXPECT_NE(created.error().message.find("/nonexistent-dir/x.lpc"), std::string::npos);
}

}  // namespace
}  // namespace loadprof::capture

namespace loadprof::capture {
namespace {

TEST(CaptureWindow, KeepsOnlyEventsTouchingTheWindowAndSkipsWholeChunks) {
  testing::TempPath file("window.lpc");
  Capture all = testing::make_reference_capture(50'000);
  ASSERT_TRUE(testing::write_capture(file.path(), all, 10).ok());
  // The middle fifth of the sample times.
  uint64_t lo = all.cpu_samples[20'000].time_ns, hi = all.cpu_samples[30'000].time_ns;
  auto got = read_capture(file.path(), ReadOptions{lo, hi});
  ASSERT_TRUE(got.ok()) << got.error().message;

  size_t want_samples = 0;
  for (const auto& s : all.cpu_samples) want_samples += s.time_ns >= lo && s.time_ns <= hi;
  EXPECT_EQ(got->cpu_samples.size(), want_samples);
  for (const auto& s : got->cpu_samples) {
    EXPECT_GE(s.time_ns, lo);
    EXPECT_LE(s.time_ns, hi);
  }
  // 10 sample chunks of 5,000 samples: at least 6 lie wholly outside 10,001 consecutive samples.
  EXPECT_GE(got->read_info.chunks_skipped_window, 6u);
  // Context is read whole.
  EXPECT_EQ(got->processes, all.processes);
  EXPECT_EQ(got->frames, all.frames);
  EXPECT_EQ(got->stacks, all.stacks);
  EXPECT_EQ(got->drops, all.drops);
  EXPECT_EQ(got->end, all.end);
  // Off-CPU intervals overlapping the window: the fixture's all start near t0, before it.
  size_t want_offcpu = 0;
  for (const auto& o : all.offcpu) want_offcpu += std::max(o.start_ns, o.end_ns) >= lo && o.start_ns <= hi;
  EXPECT_EQ(got->offcpu.size(), want_offcpu);
  // I/O records overlapping the window, syscalls and devices alike (one chunk holds both).
  size_t want_io = 0, want_devices = 0;
  for (const auto& r : all.io_syscalls) want_io += std::max(r.start_ns, r.end_ns) >= lo && r.start_ns <= hi;
  for (const auto& r : all.io_devices)
    want_devices += std::max(r.start_ns, r.end_ns) >= lo && r.start_ns <= hi;
  EXPECT_EQ(got->io_syscalls.size(), want_io);
  EXPECT_EQ(got->io_devices.size(), want_devices);
}

TEST(CaptureWindow, AccountingSecondsOverlappingTheWindowAreKept) {
  testing::TempPath file("window_acct.lpc");
  Capture all = testing::make_reference_capture(10);
  ASSERT_TRUE(testing::write_capture(file.path(), all, 1).ok());
  const uint64_t t0 = all.metadata.start_monotonic_ns;
  // [t0 + 0.5 s, t0 + 0.6 s] lies inside the first second only.
  auto got = read_capture(file.path(), ReadOptions{t0 + 500'000'000, t0 + 600'000'000});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->cpu_accounting.size(), 2u);
  EXPECT_EQ(got->cpu_accounting[0].second_ns, t0);
  auto none = read_capture(file.path(), ReadOptions{t0 + 5'000'000'000, t0 + 6'000'000'000});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->cpu_accounting.empty());
  EXPECT_TRUE(none->cpu_samples.empty());
  EXPECT_TRUE(none->io_syscalls.empty());
  EXPECT_TRUE(none->io_devices.empty());
}

TEST(CaptureWindow, InvertedWindowIsUsageError) {
  auto got = read_capture_bytes("LPC", ReadOptions{10, 5});
  ASSERT_FALSE(got.ok());
  EXPECT_EQ(got.error().kind, ErrorKind::usage);
}

// Steal and throttling travel in a chunk of their own (type 18), joined to the
// accounting rows on read, also across flushes and under a time window.
TEST(CaptureRoundTrip, AccountingStealAndThrottlesComeBack) {
  TempPath file("extra.lpc");
  Capture want = testing::make_reference_capture(10);
  const uint64_t t0 = want.metadata.start_monotonic_ns;
  want.cpu_accounting = {{t0, 0, 900, 5, 50, 44, 12'000'000, 3, 8'000'000},
                         {t0, 1, 10, 0, 980, 9},
                         {t0 + 1'000'000'000, 0, 999, 0, 0, 0, 0, 1, 4'000'000},
                         {t0 + 1'000'000'000, 1, 1, 0, 0, 400, 30'000'000, 0, 0}};
  ASSERT_TRUE(testing::write_capture(file.path(), want, 2).ok());
  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->cpu_accounting, want.cpu_accounting);
  EXPECT_EQ(got->read_info.chunks_skipped_unknown, 0u);
  auto second = read_capture(file.path(), ReadOptions{t0 + 1'500'000'000, t0 + 1'600'000'000});
  ASSERT_TRUE(second.ok());
  ASSERT_EQ(second->cpu_accounting.size(), 2u);
  EXPECT_EQ(second->cpu_accounting[0], want.cpu_accounting[2]);
  EXPECT_EQ(second->cpu_accounting[1], want.cpu_accounting[3]);
}

TEST(CaptureRoundTrip, LoadRunLastWinsAndSurvivesAWindow) {
  TempPath file("load_run.lpc");
  Capture want = testing::make_reference_capture(1000);
  const uint64_t t0 = want.metadata.start_monotonic_ns;
  LoadRun first;
  first.summary_json = "{\"requests\": 1}";
  LoadRun last;
  last.summary_json = "{\"requests\": 2, \"latency_ms\": {\"p99\": 12.5}}";
  last.table = "stage  rate\n1      100\n";
  last.measured_start_ns = t0 + 500'000'000;
  last.measured_end_ns = t0 + 9'500'000'000;
  last.stages = {{t0 + 500'000'000, t0 + 4'500'000'000}, {t0 + 4'500'000'000, t0 + 9'500'000'000}};
  last.log_records = 12345;
  last.log_dropped = 7;
  auto created = CaptureWriter::create(file.path(), want.metadata);
  ASSERT_TRUE(created.ok());
  auto& w = **created;
  w.set_load_run(first);
  ASSERT_TRUE(w.flush().ok());
  for (const auto& r : want.requests) w.add_request(r);
  w.set_load_run(last);
  ASSERT_TRUE(w.finish(*want.end).ok());

  auto got = read_capture(file.path());
  ASSERT_TRUE(got.ok()) << got.error().message;
  ASSERT_TRUE(got->load.has_value());
  EXPECT_EQ(*got->load, last);
  EXPECT_EQ(got->requests, want.requests);
  // Not an event chunk: a time window that misses the measured span keeps it.
  ReadOptions window;
  window.window_start_ns = t0 + 9'800'000'000;
  auto windowed = read_capture(file.path(), window);
  ASSERT_TRUE(windowed.ok()) << windowed.error().message;
  ASSERT_TRUE(windowed->load.has_value());
  EXPECT_EQ(windowed->load->stages.size(), 2u);
}

}  // namespace
}  // namespace loadprof::capture

namespace loadprof::capture {
namespace {

// Resource readings (type 21) keep every field, and a window keeps the
// readings whose interval [time - interval, time] touches it.
TEST(CaptureWindow, ResourceReadingsWhoseIntervalTouchesTheWindowAreKept) {
  testing::TempPath file("window_res.lpc");
  Capture all = testing::make_reference_capture(10);
  ASSERT_TRUE(testing::write_capture(file.path(), all, 1).ok());
  auto whole = read_capture(file.path());
  ASSERT_TRUE(whole.ok()) << whole.error().message;
  EXPECT_EQ(whole->resources, all.resources);
  EXPECT_EQ(whole->read_info.chunks_skipped_unknown, 0u);
  const uint64_t t0 = all.metadata.start_monotonic_ns;
  // [t0 + 0.5 s, t0 + 0.6 s]: inside the intervals of the readings at t0 + 1 s only.
  auto got = read_capture(file.path(), ReadOptions{t0 + 500'000'000, t0 + 600'000'000});
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->resources.size(), 2u);
  EXPECT_EQ(got->resources[0], all.resources[2]);
  EXPECT_EQ(got->resources[1], all.resources[3]);
  auto none = read_capture(file.path(), ReadOptions{t0 + 5'000'000'000, t0 + 6'000'000'000});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->resources.empty());
}

}  // namespace
}  // namespace loadprof::capture
