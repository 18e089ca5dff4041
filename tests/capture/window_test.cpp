// Time windows (`report --window`): the flag's text, placing it on a
// capture's span, the exact cut (samples, clipped off-CPU intervals, prorated
// accounting, requests by intended start), and the reader's skip of chunks
// outside a window given from the capture's start.
#include "loadprof/capture/window.h"

#include <gtest/gtest.h>

#include "capture/capture_fixture.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture {
namespace {

constexpr uint64_t kS = 1'000'000'000;

TEST(TimeWindowText, StartEndAndOpenEnds) {
  auto w = parse_time_window("30..45");
  ASSERT_TRUE(w.ok()) << w.error().message;
  EXPECT_EQ(w->start_offset_ns, 30 * kS);
  EXPECT_EQ(w->end_offset_ns, 45 * kS);
  w = parse_time_window("1.5..");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start_offset_ns, 1'500'000'000u);
  EXPECT_FALSE(w->end_offset_ns);
  w = parse_time_window("..0.25");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start_offset_ns, 0u);
  EXPECT_EQ(w->end_offset_ns, 250'000'000u);
  w = parse_time_window("30s..1m");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->start_offset_ns, 30 * kS);
  EXPECT_EQ(w->end_offset_ns, 60 * kS);
  w = parse_time_window("500ms..1m30s");
  ASSERT_TRUE(w.ok());
  EXPECT_EQ(w->end_offset_ns, 90 * kS);
}

TEST(TimeWindowText, BadTextIsOneUsageLineNamingIt) {
  for (const char* bad :
       {"", "..", "30", "30-45", "a..b", "45..30", "5..5", "-1..3", "1..2..3", "1x..2", " 1..2"}) {
    auto w = parse_time_window(bad);
    ASSERT_FALSE(w.ok()) << bad;
    EXPECT_EQ(w.error().kind, ErrorKind::usage) << bad;
    EXPECT_NE(w.error().message.find(std::string("'") + bad + "'"), std::string::npos) << w.error().message;
    EXPECT_EQ(w.error().message.find('\n'), std::string::npos);
  }
}

Capture ten_seconds() {
  Capture c;
  c.metadata.start_monotonic_ns = 1000 * kS;
  c.metadata.frequency_hz = 100;
  c.end = EndInfo{c.metadata.start_monotonic_ns + 10 * kS, false, std::nullopt, "duration"};
  return c;
}

TEST(TimeWindowPlace, ClippedToTheCaptureAndRefusedWhollyOutside) {
  const Capture c = ten_seconds();
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  auto p = place_window(c, *parse_time_window("2..4"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->start_ns, t0 + 2 * kS);
  EXPECT_EQ(p->end_ns, t0 + 4 * kS);
  p = place_window(c, *parse_time_window("8..30"));  // past the end: up to it
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->end_ns, t0 + 10 * kS);
  p = place_window(c, *parse_time_window("3.."));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->end_ns, t0 + 10 * kS);
  for (const char* outside : {"10..20", "30..45", "12.."}) {
    p = place_window(c, *parse_time_window(outside));
    ASSERT_FALSE(p.ok()) << outside;
    EXPECT_EQ(p.error().kind, ErrorKind::usage);
    EXPECT_NE(p.error().message.find("0.00..10.00 s"), std::string::npos) << p.error().message;
  }
}

TEST(TimeWindowPlace, WithoutEndRecordTheLastDataEndsTheCapture) {
  Capture c = ten_seconds();
  c.end.reset();
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  c.cpu_samples = {{t0 + 3 * kS, 1, 1, 0, kNoStack}};
  EXPECT_EQ(capture_end_ns(c), t0 + 3 * kS);
  auto p = place_window(c, *parse_time_window("4.."));
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("0.00..3.00 s"), std::string::npos) << p.error().message;
}

TEST(TimeWindowCut, SamplesIntervalsAccountingRequests) {
  Capture c = ten_seconds();
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  for (uint64_t ms = 0; ms < 10'000; ms += 10)
    c.cpu_samples.push_back({t0 + ms * 1'000'000, 1, 1, 0, kNoStack});
  // Wholly before, half inside at each edge, wholly inside, spanning the window, wholly after.
  c.offcpu = {{t0 + 1 * kS, t0 + 1 * kS + 500'000'000, 1, 1, kNoStack, kNoStack, OffCpuReason::lock, 1},
              {t0 + 1'500'000'000, t0 + 2'500'000'000, 1, 1, kNoStack, kNoStack, OffCpuReason::lock, 1},
              {t0 + 3 * kS, t0 + 3'200'000'000, 1, 1, kNoStack, kNoStack, OffCpuReason::sleep, 4},
              {t0 + 3'500'000'000, t0 + 4'500'000'000, 1, 1, kNoStack, kNoStack, OffCpuReason::disk, 1},
              {t0 + 1 * kS, t0 + 9 * kS, 1, 2, kNoStack, kNoStack, OffCpuReason::other, 1},
              {t0 + 5 * kS, t0 + 6 * kS, 1, 1, kNoStack, kNoStack, OffCpuReason::lock, 1}};
  for (uint64_t s = 0; s < 10; ++s) c.cpu_accounting.push_back({t0 + s * kS, 0, 100, 10, 20, 70, 0, 4, 0});
  c.requests = {{t0 + 1'900'000'000, 0, 0, 0, t0 + 2'100'000'000, 200},  // due before, ends inside: out
                {t0 + 2 * kS, 0, 0, 0, t0 + 2'001'000'000, 200},         // due at the start: in
                {t0 + 3'999'000'000, 0, 0, 0, t0 + 4'500'000'000, 200},  // due inside, ends after: in
                {t0 + 4 * kS, 0, 0, 0, t0 + 4'001'000'000, 200}};        // due at the end: out
  const PlacedWindow w{t0 + 2 * kS, t0 + 4 * kS};
  restrict_to_window(c, w);

  EXPECT_EQ(c.cpu_samples.size(), 200u);  // one every 10 ms for 2 s
  EXPECT_EQ(c.cpu_samples.front().time_ns, t0 + 2 * kS);
  EXPECT_LT(c.cpu_samples.back().time_ns, t0 + 4 * kS);

  ASSERT_EQ(c.offcpu.size(), 4u);
  uint64_t blocked_ns = 0;
  for (const auto& o : c.offcpu) {
    EXPECT_GE(o.start_ns, w.start_ns);
    EXPECT_LE(o.end_ns, w.end_ns);
    blocked_ns += o.end_ns - o.start_ns;
  }
  // Half of the first edge one, all of the inside one, half of the last edge one, the window of the long one.
  EXPECT_EQ(blocked_ns, 500'000'000u + 200'000'000u + 500'000'000u + 2 * kS);
  EXPECT_EQ(c.offcpu[1].count, 4u);  // an aggregate keeps its count

  ASSERT_EQ(c.cpu_accounting.size(), 2u);
  EXPECT_EQ(c.cpu_accounting[0].second_ns, t0 + 2 * kS);
  EXPECT_EQ(c.cpu_accounting[0].target, 100u);  // whole seconds are unchanged

  ASSERT_EQ(c.requests.size(), 2u);
  EXPECT_EQ(c.requests[0].intended_start_ns, t0 + 2 * kS);
  EXPECT_EQ(c.requests[1].intended_start_ns, t0 + 3'999'000'000);
}

TEST(TimeWindowCut, AccountingOfASecondPartlyInsideIsProrated) {
  Capture c = ten_seconds();
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  c.cpu_accounting = {{t0 + 2 * kS, 0, 100, 10, 20, 70, 0, 4, 0}, {t0 + 2 * kS, 1, 50, 0, 0, 50, 0, 0, 0}};
  restrict_to_window(c, PlacedWindow{t0 + 2'250'000'000, t0 + 3 * kS});
  ASSERT_EQ(c.cpu_accounting.size(), 2u);
  EXPECT_EQ(c.cpu_accounting[0].target, 75u);
  EXPECT_EQ(c.cpu_accounting[0].self, 8u);  // 7.5 rounds half away from zero
  EXPECT_EQ(c.cpu_accounting[0].other, 15u);
  EXPECT_EQ(c.cpu_accounting[0].idle, 53u);    // 52.5
  EXPECT_EQ(c.cpu_accounting[1].target, 38u);  // 37.5
}

TEST(TimeWindowCut, LoadStagesAreClippedAndTheMeasuredSpanKept) {
  Capture c = ten_seconds();
  const uint64_t t0 = c.metadata.start_monotonic_ns;
  LoadRun run;
  run.measured_start_ns = t0 + 1 * kS;
  run.measured_end_ns = t0 + 9 * kS;
  run.stages = {{t0 + 1 * kS, t0 + 3 * kS}, {t0 + 3 * kS, t0 + 6 * kS}, {t0 + 6 * kS, t0 + 9 * kS}};
  c.load = run;
  restrict_to_window(c, PlacedWindow{t0 + 4 * kS, t0 + 5 * kS});
  ASSERT_EQ(c.load->stages.size(), 3u);
  EXPECT_EQ(c.load->stages[0].start_ns, c.load->stages[0].end_ns);  // before the window: empty
  EXPECT_EQ(c.load->stages[1].start_ns, t0 + 4 * kS);
  EXPECT_EQ(c.load->stages[1].end_ns, t0 + 5 * kS);
  EXPECT_EQ(c.load->stages[2].start_ns, c.load->stages[2].end_ns);  // after it: empty
  EXPECT_EQ(c.load->measured_start_ns, t0 + 1 * kS);
  EXPECT_EQ(c.load->measured_end_ns, t0 + 9 * kS);
}

// The reader places a window given from the capture's start when it meets the
// metadata, and skips the sample chunks outside it without decoding them.
TEST(TimeWindowRead, FromTheCaptureStartSkipsChunksOutside) {
  testing::TempPath file("window_from_start.lpc");
  Capture all = testing::make_reference_capture(50'000);
  ASSERT_TRUE(testing::write_capture(file.path(), all, 10).ok());
  const uint64_t t0 = all.metadata.start_monotonic_ns;
  const uint64_t lo = all.cpu_samples[20'000].time_ns, hi = all.cpu_samples[30'000].time_ns;
  ReadOptions options;
  set_read_window(options, TimeWindow{lo - t0, hi - t0});
  auto got = read_capture(file.path(), options);
  ASSERT_TRUE(got.ok()) << got.error().message;
  size_t want = 0;
  for (const auto& s : all.cpu_samples) want += s.time_ns >= lo && s.time_ns <= hi;
  EXPECT_EQ(got->cpu_samples.size(), want);
  EXPECT_GE(got->read_info.chunks_skipped_window, 6u);
  EXPECT_EQ(got->metadata, all.metadata);
  // The same read with absolute times gives the same capture.
  auto absolute = read_capture(file.path(), ReadOptions{lo, hi});
  ASSERT_TRUE(absolute.ok());
  EXPECT_EQ(got->cpu_samples, absolute->cpu_samples);
  EXPECT_EQ(got->offcpu, absolute->offcpu);
}

}  // namespace
}  // namespace loadprof::capture
