// gzip through zlib's deflate with the gzip wrapper (windowBits 15 + 16).
#include "gzip.h"

#include <zlib.h>

#include <cstdint>

namespace loadprof::report {

Result<std::string> gzip_compress(std::string_view data) {
  if (data.size() > UINT32_MAX)  // zlib's avail_in is 32 bits; no profile comes near it
    return make_error(ErrorKind::internal, "gzip: input of " + std::to_string(data.size()) + " bytes");
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    return make_error(ErrorKind::internal, "gzip: deflateInit2 failed");
  std::string out(deflateBound(&z, static_cast<uLong>(data.size())) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&z, Z_FINISH);
  const size_t written = out.size() - z.avail_out;
  deflateEnd(&z);
  if (rc != Z_STREAM_END)
    return make_error(ErrorKind::internal, "gzip: deflate failed (" + std::to_string(rc) + ")");
  out.resize(written);
  return out;
}

}  // namespace loadprof::report
