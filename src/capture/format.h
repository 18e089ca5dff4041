// The .lpc container layout shared by the writer, the reader and the tests:
// file header, chunk header, chunk type ids (docs/CAPTURE_FORMAT.md is the
// normative description; keep the two in step).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "loadprof/util/result.h"

namespace loadprof::capture {

// File header: "LPC", major version, minor version, header size, flags, CRC32C.
inline constexpr char kMagic[3] = {'L', 'P', 'C'};
inline constexpr uint8_t kFormatMajor = 1;   // readers refuse other majors
inline constexpr uint16_t kFormatMinor = 0;  // readers accept any minor (additions only)
inline constexpr size_t kFileHeaderSize = 16;
inline constexpr size_t kMaxFileHeaderSize = 4096;

// Chunk header: marker "LPCK", header size, type, flags, record count,
// uncompressed and stored payload sizes, time range, payload CRC, header CRC.
inline constexpr char kChunkMarker[4] = {'L', 'P', 'C', 'K'};
inline constexpr size_t kChunkHeaderSize = 48;
inline constexpr size_t kMaxChunkHeaderSize = 4096;
// Bound on a chunk's uncompressed payload, so a crafted length or a zstd bomb
// cannot drive a huge allocation. The writer's chunks stay near its 4 MiB
// pending bound, far below it.
inline constexpr uint64_t kMaxChunkPayloadBytes = 32ull << 20;

// Flags: bits 0..15 change how the payload must be read, so a reader that does
// not know a set bit skips the chunk as unknown; bits 16..31 are advisory.
inline constexpr uint32_t kChunkFlagZstd = 1u << 0;
inline constexpr uint32_t kChunkFlagsKnown = kChunkFlagZstd;
inline constexpr uint32_t kChunkFlagsMustUnderstand = 0xFFFFu;

enum class ChunkType : uint16_t {
  metadata = 1,
  clock_sync = 2,
  processes = 3,
  threads = 4,
  mappings = 5,
  frames = 6,
  stacks = 7,
  cpu_samples = 8,
  cpu_accounting = 9,
  drops = 10,
  end = 11,
  offcpu = 12,
  requests = 13,
  // io probe: syscall aggregates and slow calls, block requests by device.
  io_events = 14,
  // alloc probe: sampled allocations and their frees, the probe's method and counts.
  allocations = 15,
  // Reserved: ids fixed now, encodings defined when they arrive. Readers of
  // this version skip them like any unknown type.
  load_histograms = 16,
  strings = 17,
  // Steal time and throttling per CPU and second, joined on read to the
  // accounting rows of the same (second, cpu). A type of its own so readers
  // that predate it still read the accounting.
  cpu_accounting_extra = 18,
  // New frames for stacks written earlier: the recorder writes a stack with
  // its raw addresses at once and its symbols when they are resolved (at low
  // priority, so the target never waits for it). A reader replaces the
  // stack's frames; one that predates the type keeps the addresses.
  stack_symbols = 19,
  // A load run's summary (bench): the driver's JSON and table, the measured
  // span and the stages on the capture's clock. Last wins.
  load_run = 20,
  // Per-second /proc readings of the target processes and the machine.
  resources = 21,
  // io probe: the sockets a target talked on, whole-capture figures per socket
  // (peer, role, round trips, wait, bytes); written at the end.
  sockets = 22,
  // Per module, how the user stacks were unwound (cumulative: last wins).
  // 23, not 22: main's io probe took 22 (sockets) while this was written.
  unwind = 23,
  // offcpu probe: who woke the target's threads, per (thread, reason, waker
  // thread): wake-ups and blocked time; written at the end.
  offcpu_wakers = 24,
  // mmap probe (with alloc): mmap/munmap/brk calls merged per (process, op,
  // user stack) over about a second.
  mmap_events = 25,
};

const char* chunk_type_name(uint16_t type);
bool chunk_type_known(uint16_t type);  // decodable by this reader

struct ChunkHeader {
  uint16_t header_size = kChunkHeaderSize;
  uint16_t type = 0;
  uint32_t flags = 0;
  uint32_t record_count = 0;
  uint32_t uncompressed_size = 0;
  uint32_t stored_size = 0;  // bytes following the header (compressed when kChunkFlagZstd)
  uint64_t time_min_ns = 0;  // 0/0 = the chunk has no time range (dictionaries, drops)
  uint64_t time_max_ns = 0;
  uint32_t payload_crc = 0;  // CRC32C of the stored payload bytes
};

std::string encode_file_header();

// Appends one chunk (header + zstd frame of `payload`) to `out`.
// `zstd_level` is the zstd compression level; `zstd_cctx` may be null.
[[nodiscard]] Result<void> append_chunk(std::string& out, uint16_t type, std::string_view payload,
                                        uint32_t record_count, uint64_t time_min_ns, uint64_t time_max_ns,
                                        int zstd_level, void* zstd_cctx);

}  // namespace loadprof::capture
