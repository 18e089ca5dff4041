// File and chunk headers of the .lpc container.
#include "capture/format.h"

#include <zstd.h>

#include "capture/bytes.h"
#include "capture/crc32c.h"

namespace loadprof::capture {

const char* chunk_type_name(uint16_t type) {
  switch (ChunkType(type)) {
    case ChunkType::metadata:
      return "metadata";
    case ChunkType::clock_sync:
      return "clock sync";
    case ChunkType::processes:
      return "processes";
    case ChunkType::threads:
      return "threads";
    case ChunkType::mappings:
      return "mappings";
    case ChunkType::frames:
      return "frames";
    case ChunkType::stacks:
      return "stacks";
    case ChunkType::cpu_samples:
      return "cpu samples";
    case ChunkType::cpu_accounting:
      return "cpu accounting";
    case ChunkType::drops:
      return "drops";
    case ChunkType::end:
      return "end";
    case ChunkType::offcpu:
      return "off-cpu intervals";
    case ChunkType::requests:
      return "requests";
    case ChunkType::io_events:
      return "i/o events";
    case ChunkType::allocations:
      return "allocations";
    case ChunkType::load_histograms:
      return "load histograms";
    case ChunkType::strings:
      return "strings";
    case ChunkType::cpu_accounting_extra:
      return "cpu accounting extra";
    case ChunkType::stack_symbols:
      return "stack symbols";
    case ChunkType::load_run:
      return "load run";
    case ChunkType::resources:
      return "resources";
    case ChunkType::sockets:
      return "sockets";
    case ChunkType::unwind:
      return "unwind";
    case ChunkType::offcpu_wakers:
      return "off-cpu wakers";
    case ChunkType::mmap_events:
      return "mmap events";
  }
  return "unknown";
}

bool chunk_type_known(uint16_t type) {
  return (type >= uint16_t(ChunkType::metadata) && type <= uint16_t(ChunkType::allocations)) ||
         type == uint16_t(ChunkType::cpu_accounting_extra) || type == uint16_t(ChunkType::stack_symbols) ||
         type == uint16_t(ChunkType::load_run) || type == uint16_t(ChunkType::resources) ||
         type == uint16_t(ChunkType::sockets) || type == uint16_t(ChunkType::unwind) ||
         type == uint16_t(ChunkType::offcpu_wakers) || type == uint16_t(ChunkType::mmap_events);
}

std::string encode_file_header() {
  std::string out;
  ByteWriter w(out);
  w.raw(std::string_view(kMagic, sizeof kMagic));
  w.u8(kFormatMajor);
  w.u16le(kFormatMinor);
  w.u16le(kFileHeaderSize);
  w.u32le(0);  // flags
  w.u32le(crc32c(out));
  return out;
}

Result<void> append_chunk(std::string& out, uint16_t type, std::string_view payload, uint32_t record_count,
                          uint64_t time_min_ns, uint64_t time_max_ns, int zstd_level, void* zstd_cctx) {
  if (payload.size() > kMaxChunkPayloadBytes) {
    return make_error(ErrorKind::internal,
                      "capture chunk too large: " + std::to_string(payload.size()) + " bytes");
  }
  size_t header_at = out.size();
  out.resize(header_at + kChunkHeaderSize);  // filled in below, once sizes are known
  size_t bound = ZSTD_compressBound(payload.size());
  out.resize(header_at + kChunkHeaderSize + bound);
  char* dst = out.data() + header_at + kChunkHeaderSize;
  size_t stored = zstd_cctx != nullptr
                      ? ZSTD_compressCCtx(static_cast<ZSTD_CCtx*>(zstd_cctx), dst, bound, payload.data(),
                                          payload.size(), zstd_level)
                      : ZSTD_compress(dst, bound, payload.data(), payload.size(), zstd_level);
  if (ZSTD_isError(stored)) {
    out.resize(header_at);
    return make_error(ErrorKind::internal, std::string("zstd compress: ") + ZSTD_getErrorName(stored));
  }
  out.resize(header_at + kChunkHeaderSize + stored);
  dst = out.data() + header_at + kChunkHeaderSize;

  std::string header;
  ByteWriter w(header);
  w.raw(std::string_view(kChunkMarker, sizeof kChunkMarker));
  w.u16le(kChunkHeaderSize);
  w.u16le(type);
  w.u32le(kChunkFlagZstd);
  w.u32le(record_count);
  w.u32le(uint32_t(payload.size()));
  w.u32le(uint32_t(stored));
  w.u64le(time_min_ns);
  w.u64le(time_max_ns);
  w.u32le(crc32c(dst, stored));
  w.u32le(crc32c(header));
  out.replace(header_at, kChunkHeaderSize, header);
  return {};
}

}  // namespace loadprof::capture
