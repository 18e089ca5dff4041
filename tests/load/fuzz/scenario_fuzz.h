// The body of the scenario fuzz target, shared with the corpus replay test.
// The input is parsed as a scenario file (it must be accepted or rejected
// with a field path, never crash); then it becomes responses for the captures
// and expectations of fixed scenarios (JSON path, header, regexes that
// backtrack hard, chunked bodies), handed over as the driver would (through
// the response parser, in pieces): once as it is, and once as the body of a
// response grown to up to twice the capture buffer (so captures run on full
// and on truncated buffers). Invariant checked: the streaming body search
// finds the marker exactly when a search of the whole decoded body does.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "loadprof/load/body_search.h"
#include "loadprof/load/scenario.h"
#include "scenario_feed.h"

inline void fuzz_scenario(const uint8_t* data, size_t size) {
  using namespace loadprof::load;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parse_scenario(text, "/nonexistent-loadprof-fuzz-dir");
  if (!parsed && parsed.error().message.empty()) std::abort();  // every rejection says why
  static const char* kFixed = R"J({"base_url": "http://127.0.0.1:1/api",
    "steps": [{"name": "a", "path": "/a", "capture": {"t": {"json": "data.items[1].id"}, "h": {"header": "X-Token"}},
               "expect": {"status": [200, 201], "body_contains": "id"}},
              {"name": "b", "path": "/b/${t}", "headers": {"X": "${h}"}, "capture": {"r": {"regex": "n=([0-9a-z]+)&?"},
               "x": {"regex": "(x|y)+"}, "e": {"regex": "(a+)+[^a]"}, "k": {"regex": "([a-z]+)=\\1(?=;)"}},
               "expect": {"body_contains": "xyx;"}},
              {"name": "c", "method": "POST", "path": "/c?r=${r}&x=${raw:x}", "body": "${t}${h}${r}${k}"}]})J";
  static auto fixed = parse_scenario(kFixed, "");
  if (!fixed) std::abort();
  static ScenarioSource source(*fixed, true, false, 1);
  static bool prepared = (source.prepare(1, 1), true);
  (void)prepared;
  // The first byte picks how the response is cut into pieces (as reads).
  size_t piece = size ? 1 + data[0] % 97 : 1;

  // As it is: each of the three steps gets the input as its whole response.
  for (int step = 0; step < 3; ++step) {
    auto next = source.next(0, 0);
    if (next.bytes.empty()) std::abort();
    auto after = loadprof::test::feed_response(source, next, text, piece, ErrorClass::none, 200);
    if (step < 2 && !after.more) std::abort();
  }

  // As a body grown to a size of the input's choosing, up to twice the kept bytes,
  // plain or chunked in chunks of the input's choosing.
  if (size < 3) return;
  size_t want = (static_cast<size_t>(data[1]) << 8 | data[2]) % (2 * ScenarioSource::kKeepBytes + 1);
  std::string_view seed = text.substr(3);
  std::string body;
  if (!seed.empty())
    while (body.size() < want) body.append(seed.substr(0, want - body.size()));
  bool chunked = data[0] & 1;
  std::string response = "HTTP/1.1 200 OK\r\nX-Token: tok\r\n";
  if (chunked) {
    response += "Transfer-Encoding: chunked\r\n\r\n";
    size_t chunk = 1 + data[1] % 251;
    char line[32];
    for (size_t at = 0; at < body.size(); at += chunk) {
      size_t n = std::min(chunk, body.size() - at);
      std::snprintf(line, sizeof line, "%zx\r\n", n);
      response += line;
      response.append(body, at, n);
      response += "\r\n";
    }
    response += "0\r\n\r\n";
  } else {
    response += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  }
  for (int step = 0; step < 3; ++step) {
    auto next = source.next(0, 0);
    auto after = loadprof::test::feed_response(source, next, response, piece, ErrorClass::none, 200);
    if (step < 2 && !after.more) std::abort();
  }

  // The streaming search against a search of the whole body, for a marker taken from the body.
  static BodySearch search;
  if (body.empty()) return;
  size_t mlen = 1 + data[2] % std::min<size_t>(body.size(), BodySearch::kMaxMarkerBytes);
  size_t mfrom = (static_cast<size_t>(data[0]) * 131) % (body.size() - mlen + 1);
  std::string marker = body.substr(mfrom, mlen);
  if (data[1] & 1) marker.back() ^= 0x55;  // half the time, likely absent
  search.start(marker);
  for (size_t at = 0; at < body.size(); at += piece)
    search.on_body(body.data() + at, std::min(piece, body.size() - at));
  if (search.found() != (body.find(marker) != std::string::npos)) std::abort();
}
