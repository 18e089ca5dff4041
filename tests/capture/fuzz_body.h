// The body of the capture-reader fuzz target, shared with the corpus-replay
// test so the default-compiler test suite runs exactly what the fuzzer runs.
// Each input is tried three ways: as is; with every checksum recomputed (so
// mutations get past the CRCs into zstd and the record decoders); and as a raw
// chunk payload handed straight to the decoder (so mutations reach the record
// encodings without having to form a valid zstd frame).
#pragma once

#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "capture/bytes.h"
#include "capture/codec.h"
#include "capture/crc32c.h"
#include "capture/format.h"
#include "loadprof/capture/folded.h"
#include "loadprof/capture/reader.h"

namespace loadprof::capture::fuzz {

// Aborts (a finding) when a successful read breaks an invariant consumers rely on.
inline void check_invariants(const Capture& c) {
  auto stack_ok = [&](StackId s) { return s == kNoStack || s < c.stacks.size(); };
  for (const auto& s : c.stacks) {
    for (FrameId f : s.frames) {
      if (f >= c.frames.size()) std::abort();
    }
  }
  for (const auto& s : c.cpu_samples) {
    if (!stack_ok(s.stack)) std::abort();
  }
  for (const auto& o : c.offcpu) {
    if (!stack_ok(o.stack) || !stack_ok(o.waker_stack)) std::abort();
  }
  auto cpu = folded_stacks(c, "cpu");
  auto off = folded_stacks(c, "offcpu");
  if (!cpu.ok() || !off.ok()) std::abort();
  uint64_t total = 0;
  for (const auto& line : *cpu) total += line.count;
  if (total != c.cpu_samples.size()) std::abort();
}

// The memory a capture's records hold beyond the Capture object itself:
// vectors at their size, strings that left the small-string buffer, stacks'
// frame lists, drop counters' map nodes.
inline uint64_t retained_bytes(const Capture& c) {
  auto str = [](const std::string& s) -> uint64_t { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
  uint64_t n = str(c.metadata.loadprof_version) + str(c.metadata.hostname) + str(c.metadata.kernel_release) +
               str(c.metadata.command_line) + str(c.metadata.unwind);
  for (const auto& p : c.metadata.probes) n += sizeof(std::string) + str(p);
  n += c.clock_sync.size() * sizeof(ClockSync);
  for (const auto& p : c.processes) n += sizeof(Process) + str(p.command);
  for (const auto& t : c.threads) n += sizeof(Thread) + str(t.name);
  for (const auto& m : c.mappings) n += sizeof(Mapping) + str(m.path) + str(m.build_id);
  for (const auto& f : c.frames) n += sizeof(Frame) + str(f.function) + str(f.module) + str(f.file);
  for (const auto& s : c.stacks) n += sizeof(Stack) + s.frames.capacity() * sizeof(FrameId);
  n += c.cpu_samples.size() * sizeof(CpuSample) + c.offcpu.size() * sizeof(OffCpuInterval) +
       c.cpu_accounting.size() * sizeof(CpuAccounting) + c.requests.size() * sizeof(RequestRecord) +
       c.resources.size() * sizeof(ResourceSample);
  for (const auto& [probe, reasons] : c.drops) {
    n += 32 + sizeof(std::string) + sizeof(reasons) + str(probe);
    for (const auto& [reason, count] : reasons) n += 32 + sizeof(std::string) + sizeof(count) + str(reason);
  }
  if (c.end) n += str(c.end->reason);
  return n;
}

// input_size: the bytes read. Memory stays proportional to them: the
// reader's estimate covers what the records hold, and the bound holds the
// estimate.
inline void check_result(const Result<Capture>& r, size_t input_size) {
  if (r.ok()) {
    check_invariants(*r);
    if (retained_bytes(*r) > r->read_info.decoded_bytes) std::abort();
    if (r->read_info.decoded_bytes > decoded_bytes_bound(input_size)) std::abort();
  } else if (r.error().kind != ErrorKind::corrupt_input ||
             r.error().message.find(" at offset ") == std::string::npos) {
    std::abort();  // every rejection is corrupt_input naming an offset
  }
}

inline void put_u32(std::string& b, size_t at, uint32_t v) {
  for (int i = 0; i < 4; ++i) b[at + i] = char(uint8_t(v >> (8 * i)));
}

// Recomputes the file header CRC and every reachable chunk's CRCs.
inline std::string fix_checksums(std::string b) {
  if (b.size() < kFileHeaderSize) return b;
  size_t header_size = uint8_t(b[6]) | size_t(uint8_t(b[7])) << 8;
  if (header_size < kFileHeaderSize || header_size > b.size()) return b;
  put_u32(b, header_size - 4, crc32c(std::string_view(b).substr(0, header_size - 4)));
  size_t offset = header_size;
  while (offset + kChunkHeaderSize <= b.size()) {
    ByteReader r(std::string_view(b).substr(offset + 4));
    size_t chunk_header = r.u16le();
    r.skip(14);
    uint32_t stored = r.u32le();
    if (chunk_header < kChunkHeaderSize || offset + chunk_header > b.size()) break;
    size_t available = b.size() - offset - chunk_header;
    size_t payload = std::min<size_t>(stored, available);
    put_u32(b, offset + 40, crc32c(std::string_view(b).substr(offset + chunk_header, payload)));
    put_u32(b, offset + chunk_header - 4, crc32c(std::string_view(b).substr(offset, chunk_header - 4)));
    if (stored > available) break;
    offset += chunk_header + stored;
  }
  return b;
}

inline void decode_raw_payload(std::string_view data) {
  if (data.size() < 2) return;
  // A capture with a few dictionary entries so references can be valid.
  Capture c;
  c.frames.resize(3);
  c.stacks = {{{0, 1}, false}, {{2}, true}};
  DecodeIndex index;
  uint16_t type = uint16_t(1 + uint8_t(data[0]) % 13);
  uint32_t count = uint8_t(data[1]);
  std::string why;
  if (decode_chunk(type, data.substr(2), count, c, index, why) == DecodeStatus::ok) check_invariants(c);
}

inline void fuzz_one_input(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  check_result(read_capture_bytes(input), size);
  std::string fixed = fix_checksums(std::string(input));
  check_result(read_capture_bytes(fixed), size);
  // A time window (around the test fixtures' start time) exercises the chunk skipping and filtering.
  check_result(read_capture_bytes(fixed, ReadOptions{1'000'000'000'000, 1'000'002'000'000}), size);
  decode_raw_payload(input);
  (void)looks_like_capture(input);
}

}  // namespace loadprof::capture::fuzz
