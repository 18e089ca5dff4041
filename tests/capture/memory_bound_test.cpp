// The reader's bound on decoded memory: a few kilobytes of zstd that declare
// millions of well-formed records are refused quickly with bounded memory
// (naming the offset and the flag that lifts the bound), the flag lifts it,
// and genuine recorder-shaped captures stay far below it.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <exception>
#include <random>
#include <sstream>

#include "capture/capture_fixture.h"
#include "capture/codec.h"
#include "capture/format.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"
#include "support/run.h"

namespace loadprof::capture {
namespace {

// File header + metadata chunk.
std::string base_capture() {
  std::string out = encode_file_header();
  Metadata m;
  m.hostname = "h";
  EncodedChunk c = encode_metadata(m);
  EXPECT_TRUE(append_chunk(out, c.type, c.payload, c.record_count, 0, 0, 1, nullptr).ok());
  return out;
}

using testing::zero_samples_chunk;

struct ChildRead {
  bool ok = false;
  int kind = -1;
  std::string message;
  uint64_t samples = 0;
  long rss_growth_kib = 0;
  double elapsed_ms = 0;
};

// Reads in a forked child, so its peak RSS growth is the read's alone.
ChildRead read_in_child(const std::string& bytes, const ReadOptions& options = {}) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t child = fork();
  if (child == 0) {
    close(fds[0]);
    std::set_terminate([] { _exit(3); });  // never back into gtest from the child
    rusage before{}, after{};
    getrusage(RUSAGE_SELF, &before);
    auto start = std::chrono::steady_clock::now();
    auto r = read_capture_bytes(bytes, options);
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    getrusage(RUSAGE_SELF, &after);
    std::ostringstream out;
    out << (r.ok() ? 1 : 0) << ' ' << (r.ok() ? -1 : int(r.error().kind)) << ' '
        << (r.ok() ? r->cpu_samples.size() : 0) << ' ' << (after.ru_maxrss - before.ru_maxrss) << ' ' << ms
        << '\n'
        << (r.ok() ? std::string() : r.error().message);
    std::string text = out.str();
    (void)!write(fds[1], text.data(), text.size());
    _exit(0);
  }
  close(fds[1]);
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fds[0], buf, sizeof buf)) > 0) text.append(buf, size_t(n));
  close(fds[0]);
  int status = 0;
  waitpid(child, &status, 0);
  ChildRead c;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    c.message = "the reading child died (status " + std::to_string(status) + ")";
    return c;
  }
  std::istringstream in(text);
  int ok = 0;
  in >> ok >> c.kind >> c.samples >> c.rss_growth_kib >> c.elapsed_ms;
  c.ok = ok == 1;
  in.ignore();
  std::getline(in, c.message);
  return c;
}

TEST(CaptureMemoryBound, SmallCaptureDeclaringMillionsOfRecordsIsRefusedQuickly) {
  std::string base = base_capture();
  std::string bytes = base + zero_samples_chunk(6'000'000) + zero_samples_chunk(6'000'000);
  ASSERT_LT(bytes.size(), 8'000u) << "the crafted capture should be a few KB";
  ChildRead r = read_in_child(bytes);
  EXPECT_FALSE(r.ok) << "read " << r.samples << " samples from a " << bytes.size() << "-byte file, peak RSS +"
                     << r.rss_growth_kib / 1024 << " MiB";
  EXPECT_EQ(r.kind, int(ErrorKind::corrupt_input));
  EXPECT_NE(r.message.find("at offset " + std::to_string(base.size())), std::string::npos) << r.message;
  EXPECT_NE(r.message.find("--max-memory"), std::string::npos) << r.message;
  EXPECT_LT(r.rss_growth_kib, 32 * 1024) << "peak RSS grew by " << r.rss_growth_kib / 1024 << " MiB";
  EXPECT_LT(r.elapsed_ms, 1000);
}

TEST(CaptureMemoryBound, TheBoundCanBeLiftedForAGenuineHugeCapture) {
  std::string bytes = base_capture() + zero_samples_chunk(1'000'000);
  auto refused = read_capture_bytes(bytes);
  ASSERT_FALSE(refused.ok());
  ReadOptions lifted;
  lifted.max_decoded_bytes = kNoDecodedBytesBound;
  auto read = read_capture_bytes(bytes, lifted);
  ASSERT_TRUE(read.ok()) << read.error().message;
  EXPECT_EQ(read->cpu_samples.size(), 1'000'000u);
  ReadOptions explicit_size;
  explicit_size.max_decoded_bytes = *parse_max_decoded_bytes("64MiB");
  EXPECT_TRUE(read_capture_bytes(bytes, explicit_size).ok());
  EXPECT_EQ(*parse_max_decoded_bytes("unlimited"), kNoDecodedBytesBound);
  EXPECT_FALSE(parse_max_decoded_bytes("lots").ok());
  EXPECT_FALSE(parse_max_decoded_bytes("0").ok());
}

// Recorder-shaped captures (as tests/capture/size_probe.cpp builds them:
// jittered 999 Hz samples on 2 CPUs, Zipf-like stacks, one flush per second),
// and a degenerate one (1 thread, 1 stack, exact period): the records' memory
// per file byte, which the default bound must leave far behind.
struct Shape {
  uint32_t stacks;
  uint32_t threads;
  uint64_t jitter_ns;
};

double decoded_per_file_byte(const Shape& shape, int seconds, uint64_t* decoded_bytes = nullptr,
                             const ReadOptions& options = {}) {
  const uint32_t kPid = 4242, kCpus = 2, kHz = 999;
  const uint64_t t0 = 5'000'000'000'000, period_ns = 1'000'000'000 / kHz;
  std::mt19937_64 rng(1);
  testing::TempPath file("bound_shape.lpc");
  Metadata meta;
  meta.probes = {"cpu"};
  meta.frequency_hz = kHz;
  auto w = std::move(CaptureWriter::create(file.path(), meta).value());
  w->add_process({kPid, 1, "server", t0, {}, {}, {}, false, true});
  for (uint32_t t = 0; t < shape.threads; ++t) w->add_thread({kPid, kPid + t, "worker", t0, {}});
  for (uint32_t f = 0; f < 2000; ++f) {
    w->add_frame({0x400000 + f * 64ull, "ns::function_" + std::to_string(f) + "(int, char const*)", "server",
                  f * 64ull, "src/file_" + std::to_string(f % 50) + ".cc", f % 900, f % 7 == 0, false});
  }
  for (uint32_t s = 0; s < shape.stacks; ++s) {
    Stack st;
    uint32_t depth = 8 + rng() % 17;
    for (uint32_t d = 0; d < depth; ++d) st.frames.push_back(FrameId(rng() % 2000));
    w->add_stack(st);
  }
  for (int s = 0; s < seconds; ++s) {
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {
      for (uint32_t k = 0; k < kHz; ++k) {
        uint64_t jitter = shape.jitter_ns ? rng() % shape.jitter_ns : 0;
        uint64_t t = t0 + uint64_t(s) * 1'000'000'000 + k * period_ns + jitter + cpu * 300'000;
        double x = std::uniform_real_distribution<double>(0, 1)(rng);
        StackId stack = StackId(std::min<double>(shape.stacks - 1, shape.stacks * x * x * x));
        w->add_cpu_sample({t, kPid, kPid + uint32_t(rng() % shape.threads), cpu, stack});
      }
    }
    w->add_cpu_accounting({t0 + uint64_t(s) * 1'000'000'000, 0, kHz, 0, 0, 0});
    w->add_cpu_accounting({t0 + uint64_t(s) * 1'000'000'000, 1, kHz, 0, 0, 0});
    EXPECT_TRUE(w->flush().ok());
  }
  EXPECT_TRUE(w->finish({t0 + seconds * 1'000'000'000ull, false, {}, "duration"}).ok());
  auto bytes = testing::read_file(file.path());
  auto read = read_capture_bytes(bytes, options);
  EXPECT_TRUE(read.ok()) << read.error().message;
  if (!read.ok()) return 0;
  if (decoded_bytes) *decoded_bytes = read->read_info.decoded_bytes;
  return double(read->read_info.decoded_bytes) / double(bytes.size());
}

TEST(CaptureMemoryBound, GenuineCapturesStayFarBelowTheBound) {
  double realistic = decoded_per_file_byte({500, 4, 20'000}, 30);
  double degenerate = decoded_per_file_byte({1, 1, 0}, 30);
  RecordProperty("realistic_decoded_per_file_byte", std::to_string(realistic));
  RecordProperty("degenerate_decoded_per_file_byte", std::to_string(degenerate));
  std::printf("decoded bytes per file byte: recorder-shaped %.1f, degenerate (1 stack, exact period) %.1f\n",
              realistic, degenerate);
  EXPECT_GT(realistic, 1.0);
  // Both with room to spare (measured: about 9 and 110).
  EXPECT_LT(realistic * 16, double(kDecodedBytesPerFileByte));
  EXPECT_LT(degenerate * 4, double(kDecodedBytesPerFileByte));
}

TEST(CaptureMemoryBound, AWindowCountsOnlyTheRecordsItKeeps) {
  uint64_t whole = 0, windowed = 0;
  decoded_per_file_byte({500, 4, 20'000}, 10, &whole);
  ReadOptions window;
  window.window_start_ns = 5'000'000'000'000 + 2'000'000'000;
  window.window_end_ns = window.window_start_ns + 2'000'000'000;
  decoded_per_file_byte({500, 4, 20'000}, 10, &windowed, window);
  // 2 of the 10 seconds: at least 7 seconds' samples (1,998 each) are not counted.
  EXPECT_GT(windowed, 0u);
  EXPECT_LT(windowed, whole - 7 * 1998 * sizeof(CpuSample));
}

// The command line: exit 2 with one line naming the offset and the flag;
// the flag lifts the bound.
TEST(CaptureMemoryBound, ReportAndFlamegraphRefuseThenAcceptWithTheFlag) {
  std::string base = base_capture();
  testing::TempPath file("crafted.lpc");
  testing::write_file(file.path(), base + zero_samples_chunk(1'000'000));
  std::string bin = loadprof::testing::loadprof_binary();
  auto report = loadprof::testing::run({bin, "report", file.path(), "--format", "json"});
  EXPECT_EQ(report.exit_code, 2) << report.err;
  EXPECT_NE(report.err.find("at offset " + std::to_string(base.size())), std::string::npos) << report.err;
  EXPECT_NE(report.err.find("--max-memory"), std::string::npos) << report.err;
  EXPECT_EQ(std::count(report.err.begin(), report.err.end(), '\n'), 1) << report.err;
  auto lifted =
      loadprof::testing::run({bin, "report", file.path(), "--format", "json", "--max-memory", "unlimited"});
  EXPECT_EQ(lifted.exit_code, 0) << lifted.err;
  auto bad = loadprof::testing::run({bin, "report", file.path(), "--max-memory", "lots"});
  EXPECT_EQ(bad.exit_code, 2) << bad.err;

  testing::TempPath svg("crafted.svg");
  auto flame = loadprof::testing::run({bin, "flamegraph", file.path(), "--output", svg.path()});
  EXPECT_EQ(flame.exit_code, 2) << flame.err;
  EXPECT_NE(flame.err.find("--max-memory"), std::string::npos) << flame.err;
  // With the bound lifted the capture reads; it holds no stacks, which is a
  // different refusal.
  auto flame_lifted = loadprof::testing::run(
      {bin, "flamegraph", file.path(), "--output", svg.path(), "--max-memory", "1GiB"});
  EXPECT_EQ(flame_lifted.err.find("--max-memory"), std::string::npos) << flame_lifted.err;
}

}  // namespace
}  // namespace loadprof::capture
