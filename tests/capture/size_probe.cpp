// Capture size figures (not a test): bytes per 1,000 cpu samples for a
// synthetic but recorder-shaped stream — 2 CPUs at 999 Hz, 1 process with 4
// threads, 500 distinct stacks drawn with a skewed (Zipf-like) distribution,
// one flush per second as the recorder does. Prints the samples-chunk cost
// per zstd level and the whole file's cost through CaptureWriter.
//   build/tests/capture/capture_size_probe [seconds]
// With --ratio, prints for each capture given the memory its records take
// per file byte (ReadInfo::decoded_bytes), which the reader's default bound
// (kDecodedBytesPerFileByte) must leave far behind:
//   build/tests/capture/capture_size_probe --ratio FILE.lpc...
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>

#include "capture/capture_fixture.h"
#include "capture/chunk_walk.h"
#include "capture/codec.h"
#include "capture/format.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"
#include "loadprof/capture/writer.h"

using namespace loadprof::capture;

int main(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) == "--ratio") {
    for (int i = 2; i < argc; ++i) {
      ReadOptions unbounded;
      unbounded.max_decoded_bytes = kNoDecodedBytesBound;
      auto c = read_capture(argv[i], unbounded);
      if (!c.ok()) {
        std::printf("%s: %s\n", argv[i], c.error().message.c_str());
        continue;
      }
      uint64_t bytes = testing::read_file(argv[i]).size();
      std::printf(
          "%s: %llu bytes, %zu samples, records %llu bytes in memory: %.1f per file byte (bound %llu)\n",
          argv[i], static_cast<unsigned long long>(bytes), c->cpu_samples.size(),
          static_cast<unsigned long long>(c->read_info.decoded_bytes),
          double(c->read_info.decoded_bytes) / double(bytes),
          static_cast<unsigned long long>(kDecodedBytesPerFileByte));
    }
    return 0;
  }
  int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const uint32_t kPid = 4242, kCpus = 2, kHz = 999, kStacks = 500;
  const uint64_t t0 = 5'000'000'000'000;
  std::mt19937_64 rng(1);
  // Zipf-like stack popularity: weight 1/(rank+1).
  std::vector<double> cdf(kStacks);
  double sum = 0;
  for (uint32_t i = 0; i < kStacks; ++i) cdf[i] = (sum += 1.0 / (i + 1));
  auto pick_stack = [&] {
    double x = std::uniform_real_distribution<double>(0, sum)(rng);
    return StackId(std::lower_bound(cdf.begin(), cdf.end(), x) - cdf.begin());
  };

  std::vector<std::vector<CpuSample>> per_second(seconds);
  const uint64_t period_ns = 1'000'000'000 / kHz;
  for (int s = 0; s < seconds; ++s) {
    for (uint32_t cpu = 0; cpu < kCpus; ++cpu) {  // drained per CPU, as the ring buffers are
      for (uint32_t k = 0; k < kHz; ++k) {
        uint64_t t = t0 + uint64_t(s) * 1'000'000'000 + k * period_ns + rng() % 20'000 + cpu * 300'000;
        per_second[s].push_back({t, kPid, kPid + uint32_t(rng() % 4), cpu, pick_stack()});
      }
    }
  }
  uint64_t samples = uint64_t(seconds) * kCpus * kHz;

  for (int level : {1, 3, 6}) {
    uint64_t bytes = 0, raw = 0;
    for (const auto& batch : per_second) {
      EncodedChunk c = encode_cpu_samples(batch);
      std::string out;
      if (!append_chunk(out, c.type, c.payload, c.record_count, c.time_min_ns, c.time_max_ns, level, nullptr)
               .ok()) {
        return 1;
      }
      bytes += out.size();
      raw += c.payload.size();
    }
    std::printf(
        "samples chunks, zstd level %d: %.0f bytes per 1,000 samples (varint payload before zstd: %.0f)\n",
        level, 1000.0 * bytes / samples, 1000.0 * raw / samples);
  }

  testing::TempPath file("size_probe.lpc");
  Metadata meta;
  meta.hostname = "probe";
  meta.probes = {"cpu"};
  meta.frequency_hz = kHz;
  auto created = CaptureWriter::create(file.path(), meta);
  if (!created.ok()) return 1;
  auto& w = **created;
  w.add_process({kPid, 1, "server", t0, {}, {}, {}, false, true});
  for (uint32_t t = 0; t < 4; ++t) w.add_thread({kPid, kPid + t, "worker", t0, {}});
  // 500 stacks of depth 8..24 over 2,000 frames.
  for (uint32_t f = 0; f < 2000; ++f) {
    w.add_frame({0x400000 + f * 64ull, "ns::function_" + std::to_string(f) + "(int, char const*)", "server",
                 f * 64ull, "src/file_" + std::to_string(f % 50) + ".cc", f % 900, f % 7 == 0, false});
  }
  for (uint32_t s = 0; s < kStacks; ++s) {
    Stack st;
    uint32_t depth = 8 + rng() % 17;
    for (uint32_t d = 0; d < depth; ++d) st.frames.push_back(FrameId(rng() % 2000));
    w.add_stack(st);
  }
  for (const auto& batch : per_second) {
    for (const auto& s : batch) w.add_cpu_sample(s);
    w.add_cpu_accounting({batch.front().time_ns, 0, kHz, 0, 0, 0});
    w.add_cpu_accounting({batch.front().time_ns, 1, kHz, 0, 0, 0});
    w.set_drops({{"cpu", {{"ringbuf_full", 0}}}});
    if (!w.flush().ok()) return 1;
  }
  if (!w.finish({t0 + seconds * 1'000'000'000ull, false, {}, "duration"}).ok()) return 1;
  std::printf(
      "whole file through CaptureWriter: %llu bytes for %llu samples = %.0f bytes per 1,000 samples "
      "(includes 2,000 frames and 500 stacks)\n",
      static_cast<unsigned long long>(w.bytes_written()), static_cast<unsigned long long>(samples),
      1000.0 * w.bytes_written() / samples);
  // Read back: the report path's first step (SPEC: report of a 10-minute capture in < 5 s).
  auto start = std::chrono::steady_clock::now();
  auto read = read_capture(file.path());
  auto mid = std::chrono::steady_clock::now();
  if (!read.ok() || read->cpu_samples.size() != samples) return 1;
  auto folded = folded_stacks(*read, "cpu");
  auto end = std::chrono::steady_clock::now();
  if (!folded.ok()) return 1;
  std::printf("read_capture: %.1f ms, folded_stacks(cpu): %.1f ms for %llu samples\n",
              std::chrono::duration<double, std::milli>(mid - start).count(),
              std::chrono::duration<double, std::milli>(end - mid).count(),
              static_cast<unsigned long long>(samples));
  return 0;
}
