// The body of the scenario fuzz target, shared with the corpus replay test.
// The input is parsed as a scenario file (it must be accepted or rejected
// with a field path, never crash); and, as a response, fed through the
// captures and expectations of a fixed scenario (JSON path, header, regex,
// chunked bodies), as the driver would hand it over.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "loadprof/load/scenario.h"

inline void fuzz_scenario(const uint8_t* data, size_t size) {
  using namespace loadprof::load;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_scenario(text, "/nonexistent-loadprof-fuzz-dir");
  if (!parsed && parsed.error().message.empty()) std::abort();  // every rejection says why
  static const char* kFixed = R"({"base_url": "http://127.0.0.1:1/api",
    "steps": [{"name": "a", "path": "/a", "capture": {"t": {"json": "data.items[1].id"}, "h": {"header": "X-Token"}},
               "expect": {"status": [200, 201], "body_contains": "id"}},
              {"name": "b", "path": "/b/${t}", "headers": {"X": "${h}"}, "capture": {"r": {"regex": "n=([0-9a-z]+)&?"}}},
              {"name": "c", "method": "POST", "path": "/c?r=${r}", "body": "${t}${h}${r}"}]})";
  static auto fixed = parse_scenario(kFixed, "");
  if (!fixed) std::abort();
  static ScenarioSource source(*fixed, true, false, 1);
  static bool prepared = (source.prepare(1, 1), true);
  (void)prepared;
  // Three steps: each gets the input as its response.
  for (int step = 0; step < 3; ++step) {
    auto next = source.next(0, 0);
    if (next.bytes.empty()) std::abort();
    size_t n = 0;
    if (next.keep) {
      n = std::min<size_t>(size, next.keep_capacity);
      std::memcpy(next.keep, data, n);
    }
    RequestSource::Response r;
    r.status = 200;
    r.bytes = std::string_view(next.keep ? next.keep : "", n);
    r.truncated = n < size;
    r.end_ns = 1;
    auto after = source.on_response(0, 0, r);
    if (step < 2 && !after.more) std::abort();
  }
}
