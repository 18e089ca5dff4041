// Writes the seed files of tests/capture/corpus/ and their EXPECTED outcomes:
//   build/tests/capture/capture_corpus_gen tests/capture/corpus
// Seeds are small: the fuzzer starts from them and the replay test checks them.
#include <cstdio>
#include <fstream>
#include <string>

#include "capture/capture_fixture.h"
#include "capture/chunk_walk.h"
#include "capture/format.h"
#include "loadprof/capture/reader.h"

using namespace loadprof::capture;

namespace {

struct Seed {
  std::string name;
  std::string bytes;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTPUT_DIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  testing::TempPath tmp("corpus_gen.lpc");
  Capture small = testing::make_reference_capture(64, 3);
  if (!testing::write_capture(tmp.path(), small, 2).ok()) return 1;
  std::string valid = testing::read_file(tmp.path());
  if (!testing::write_capture(tmp.path(), small, 2, /*finish=*/false).ok()) return 1;
  std::string no_end = testing::read_file(tmp.path());
  auto chunks = testing::walk_chunks(valid);

  const testing::ChunkInfo* samples = nullptr;
  for (const auto& c : chunks) {  // the last samples chunk: the damage leaves the first batch intact
    if (c.type == uint16_t(ChunkType::cpu_samples)) samples = &c;
  }
  if (samples == nullptr) return 1;
  std::string unknown;
  if (!append_chunk(unknown, 999, "from the future", 1, 0, 0, 1, nullptr).ok()) return 1;
  std::string with_unknown = valid.substr(0, samples->offset) + unknown + valid.substr(samples->offset);
  std::string flipped = valid;
  flipped[samples->offset + 60] ^= 0x5A;

  Seed seeds[] = {
      {"valid-full", valid},
      {"valid-no-end", no_end},
      {"valid-unknown-chunk", with_unknown},
      {"truncated-mid-samples", valid.substr(0, samples->offset + (samples->end - samples->offset) / 2)},
      {"truncated-chunk-header", valid.substr(0, samples->offset + 20)},
      {"damaged-bitflip-samples", flipped},
      {"corrupt-header-only", valid.substr(0, kFileHeaderSize)},
      {"corrupt-short-header", valid.substr(0, 7)},
      {"corrupt-garbage-text", "server;main;work;hot 12\nserver;main 3\n"},
      {"corrupt-empty", ""},
      // 2 KB declaring 6 million samples: over the reader's memory bound.
      {"corrupt-crafted-huge-counts",
       valid.substr(0, samples->offset) + testing::zero_samples_chunk(6'000'000)},
  };
  std::ofstream expected(dir + "/EXPECTED");
  expected << "# name outcome cpu_samples chunks_read (written by capture_corpus_gen)\n";
  for (const auto& seed : seeds) {
    testing::write_file(dir + "/" + seed.name, seed.bytes);
    auto r = read_capture_bytes(seed.bytes);
    std::string outcome = !r.ok() ? "corrupt" : r->read_info.truncated ? "truncated" : "ok";
    expected << seed.name << ' ' << outcome << ' ' << (r.ok() ? r->cpu_samples.size() : 0) << ' '
             << (r.ok() ? r->read_info.chunks_read : 0) << '\n';
  }
  return 0;
}
