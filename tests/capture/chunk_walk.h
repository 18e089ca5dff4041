// Test helper: walks the chunk headers of a well-formed .lpc image, giving
// each chunk's offset, type and record count (independently of the reader).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "capture/bytes.h"
#include "capture/crc32c.h"
#include "capture/format.h"

namespace loadprof::capture::testing {

struct ChunkInfo {
  uint64_t offset = 0;
  uint64_t end = 0;  // offset of the next chunk
  uint16_t type = 0;
  uint32_t record_count = 0;
};

inline std::vector<ChunkInfo> walk_chunks(std::string_view bytes) {
  std::vector<ChunkInfo> chunks;
  uint64_t offset = kFileHeaderSize;
  while (offset + kChunkHeaderSize <= bytes.size()) {
    ByteReader r(bytes.substr(offset));
    r.skip(4);
    uint16_t header_size = r.u16le();
    ChunkInfo c;
    c.offset = offset;
    c.type = r.u16le();
    r.u32le();  // flags
    c.record_count = r.u32le();
    r.u32le();  // uncompressed
    uint32_t stored = r.u32le();
    c.end = offset + header_size + stored;
    chunks.push_back(c);
    offset = c.end;
  }
  return chunks;
}

// Rewrites the flags of the chunk at `offset` and fixes its header CRC.
inline void set_chunk_flags(std::string& bytes, uint64_t offset, uint32_t flags) {
  for (int i = 0; i < 4; ++i) bytes[offset + 8 + i] = char(uint8_t(flags >> (8 * i)));
  uint32_t crc = crc32c(std::string_view(bytes).substr(offset, kChunkHeaderSize - 4));
  for (int i = 0; i < 4; ++i) bytes[offset + kChunkHeaderSize - 4 + i] = char(uint8_t(crc >> (8 * i)));
}

}  // namespace loadprof::capture::testing

namespace loadprof::capture::testing {

// A chunk with arbitrary header fields and valid CRCs (stored bytes as given).
inline std::string raw_chunk(uint16_t type, uint32_t flags, uint32_t record_count, uint32_t uncompressed_size,
                             std::string_view stored) {
  std::string h;
  ByteWriter w(h);
  w.raw(std::string_view(kChunkMarker, sizeof kChunkMarker));
  w.u16le(kChunkHeaderSize);
  w.u16le(type);
  w.u32le(flags);
  w.u32le(record_count);
  w.u32le(uncompressed_size);
  w.u32le(uint32_t(stored.size()));
  w.u64le(0);
  w.u64le(0);
  w.u32le(crc32c(stored));
  w.u32le(crc32c(h));
  return h + std::string(stored);
}

}  // namespace loadprof::capture::testing
