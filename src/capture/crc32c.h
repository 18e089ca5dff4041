// CRC32C (Castagnoli, reflected polynomial 0x82F63B78): the checksum of .lpc
// headers and chunk payloads. Our own implementation (slicing-by-8 tables), so
// the format does not depend on a library's private hash.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace loadprof::capture {

// crc32c("123456789") == 0xE3069283. Pass a previous result as `crc` to continue.
uint32_t crc32c(const void* data, size_t size, uint32_t crc = 0);
inline uint32_t crc32c(std::string_view bytes, uint32_t crc = 0) {
  return crc32c(bytes.data(), bytes.size(), crc);
}

}  // namespace loadprof::capture
