// Hands a response to a ScenarioSource the way the driver does: the bytes go
// through a ResponseParser (which shows the body to Next::body as it passes)
// in pieces of `piece_bytes`, and the first keep_capacity bytes are copied to
// Next::keep. Shared by the scenario tests and the scenario fuzz target.
#pragma once

#include <algorithm>
#include <cstring>
#include <string_view>

#include "loadprof/load/http_response.h"
#include "loadprof/load/scenario.h"

namespace loadprof::test {

inline load::RequestSource::After feed_response(load::ScenarioSource& src, const load::RequestSource::Next& n,
                                                std::string_view response, size_t piece_bytes = 1 << 20,
                                                load::ErrorClass verdict = load::ErrorClass::none,
                                                int status = -1) {
  load::ResponseParser parser;
  parser.reset(n.head);
  parser.observe_body(n.body);
  size_t kept = 0;
  bool truncated = false;
  size_t at = 0;
  piece_bytes = std::max<size_t>(piece_bytes, 1);
  while (at < response.size() && !parser.done() && !parser.failed()) {
    size_t len = std::min(piece_bytes, response.size() - at);
    size_t used = parser.feed(response.data() + at, len);
    if (n.keep) {
      size_t c = std::min<size_t>(used, n.keep_capacity - kept);
      std::memcpy(n.keep + kept, response.data() + at, c);
      kept += c;
      truncated |= c < used;
    }
    at += used;
    if (used < len) break;
  }
  if (!parser.done() && !parser.failed()) parser.on_eof();
  load::RequestSource::Response r;
  r.status = status >= 0 ? status : parser.status();
  r.error = verdict;
  if (verdict == load::ErrorClass::none && parser.failed()) r.error = load::ErrorClass::read;
  r.bytes = std::string_view(n.keep ? n.keep : "", kept);
  r.truncated = truncated;
  r.end_ns = 1;
  return src.on_response(0, 0, r);
}

}  // namespace loadprof::test
