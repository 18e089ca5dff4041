// gzip compression (RFC 1952) through zlib, for the pprof export: pprof files
// are gzipped profile.proto.
#pragma once

#include <string>
#include <string_view>

#include "loadprof/util/result.h"

namespace loadprof::report {

// Errors: internal (zlib refused; never expected for in-memory input).
[[nodiscard]] Result<std::string> gzip_compress(std::string_view data);

}  // namespace loadprof::report
