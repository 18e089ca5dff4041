// Target URL and the request bytes the driver sends. The request is formatted
// once before the run and written as-is on every send (no per-request work).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "loadprof/util/result.h"

namespace loadprof::load {

struct Url {
  std::string host;       // name or address, brackets of IPv6 literals removed
  uint16_t port = 80;
  std::string target;     // path and query, at least "/"
  std::string host_header;  // as the Host header should carry it
};

// http://host[:port][/path][?query]. https:// -> ErrorKind::not_available;
// anything else malformed -> ErrorKind::usage naming the problem.
Result<Url> parse_url(std::string_view text);

struct RequestSpec {
  std::string method = "GET";
  std::vector<std::pair<std::string, std::string>> headers;  // user headers, in order
  std::string body;
  bool keep_alive = true;
};

// "Name: value" -> pair; usage error when malformed.
Result<std::pair<std::string, std::string>> parse_header(std::string_view text);

// The full request: request line, Host (unless given), Content-Length for a
// body, Connection: close without keep-alive, user headers, body.
std::string format_request(const Url& url, const RequestSpec& spec);

}  // namespace loadprof::load
