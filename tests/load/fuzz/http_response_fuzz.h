// The body of the HTTP response parser's fuzz target, shared with the corpus
// replay test: the first byte picks HEAD and a split point; the parse of the
// rest must not crash and must give the same result whole and split.
#pragma once

#include <cstdint>
#include <cstdlib>

#include "loadprof/load/http_response.h"

inline void fuzz_http_response(const uint8_t* data, size_t size) {
  if (size < 1) return;
  bool head = data[0] & 1;
  const char* in = reinterpret_cast<const char*>(data + 1);
  size_t len = size - 1;
  size_t cut = len ? (data[0] >> 1) % (len + 1) : 0;
  loadprof::load::ResponseParser whole, split;
  whole.reset(head);
  split.reset(head);
  size_t a = whole.feed(in, len);
  size_t b = split.feed(in, cut);
  if (split.state() == loadprof::load::ResponseParser::State::in_progress) b += split.feed(in + cut, len - cut);
  if (a > len || a != b || whole.state() != split.state() || whole.status() != split.status() ||
      whole.body_bytes() != split.body_bytes() || whole.keep_alive() != split.keep_alive())
    std::abort();
  whole.on_eof();
}
