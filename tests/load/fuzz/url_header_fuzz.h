// The body of the URL and header parsers' fuzz target, shared with the corpus
// replay test. The input is parsed both as a --url and as a -H header.
// Accepted URLs have a host without white space, a port in 1..65535, a target
// that starts with '/' and has no space or control byte, and re-parse to the
// same fields from "http://" + Host header + target; the formatted request has
// exactly one request line and one Host line. Accepted headers re-parse to the
// same pair from "name: value" and never carry a line break. A rejection is a
// usage error (not_available for https) with a message naming the input.
#pragma once

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "loadprof/load/request.h"

#ifndef LOADPROF_FUZZ_CHECK
#define LOADPROF_FUZZ_CHECK(cond)                                           \
  do {                                                                      \
    if (!(cond)) {                                                          \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                         \
    }                                                                       \
  } while (0)
#endif

inline void fuzz_url_header_check_error(const loadprof::Error& e, std::string_view text, const char* what) {
  LOADPROF_FUZZ_CHECK(!e.message.empty());
  LOADPROF_FUZZ_CHECK(text.find('\n') != std::string_view::npos || e.message.find('\n') == std::string::npos);
  if (e.kind == loadprof::ErrorKind::usage)
    LOADPROF_FUZZ_CHECK(e.message.find(what) != std::string::npos &&
                        e.message.find(std::string(text)) != std::string::npos);
  else
    LOADPROF_FUZZ_CHECK(e.kind == loadprof::ErrorKind::not_available);
}

inline size_t fuzz_count(std::string_view hay, std::string_view needle) {
  size_t n = 0;
  for (size_t at = hay.find(needle); at != std::string_view::npos; at = hay.find(needle, at + 1)) ++n;
  return n;
}

inline void fuzz_url_header(const uint8_t* data, size_t size) {
  using namespace loadprof::load;
  std::string_view text(reinterpret_cast<const char*>(data), size);

  auto url = parse_url(text);
  if (!url) {
    fuzz_url_header_check_error(url.error(), text, "bad URL");
  } else {
    LOADPROF_FUZZ_CHECK(!url->host.empty() && url->port != 0);
    for (char c : url->host) LOADPROF_FUZZ_CHECK(!std::isspace(static_cast<unsigned char>(c)));
    for (char c : url->host_header) LOADPROF_FUZZ_CHECK(c != '\r' && c != '\n');
    LOADPROF_FUZZ_CHECK(!url->target.empty() && url->target.front() == '/');
    for (char c : url->target) LOADPROF_FUZZ_CHECK(static_cast<unsigned char>(c) > 32 && c != 127);
    auto again = parse_url("http://" + url->host_header + url->target);
    LOADPROF_FUZZ_CHECK(again.ok());
    LOADPROF_FUZZ_CHECK(again->host == url->host && again->port == url->port && again->target == url->target &&
                        again->host_header == url->host_header);
    RequestSpec spec;
    std::string req = format_request(*url, spec);
    LOADPROF_FUZZ_CHECK(req.compare(0, 4 + url->target.size(), "GET " + url->target) == 0);
    LOADPROF_FUZZ_CHECK(fuzz_count(req, "\r\n") == 3);  // request line, Host, blank line
  }

  auto header = parse_header(text);
  if (!header) {
    LOADPROF_FUZZ_CHECK(header.error().kind == loadprof::ErrorKind::usage);
    fuzz_url_header_check_error(header.error(), text, "bad header");
  } else {
    const auto& [name, value] = *header;
    LOADPROF_FUZZ_CHECK(!name.empty());
    for (char c : name) LOADPROF_FUZZ_CHECK(static_cast<unsigned char>(c) > 32 && c != 127 && c != ':');
    for (char c : value) LOADPROF_FUZZ_CHECK(c != '\r' && c != '\n');
    auto again = parse_header(name + ": " + value);
    LOADPROF_FUZZ_CHECK(again.ok() && again->first == name && again->second == value);
    // As a user header in a request it adds exactly one line.
    Url u;
    u.host = u.host_header = "h";
    u.target = "/";
    RequestSpec spec;
    spec.headers.push_back(*header);
    std::string lower;
    for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    size_t lines = lower == "host" ? 3 : 4;  // a user Host replaces the default one
    LOADPROF_FUZZ_CHECK(fuzz_count(format_request(u, spec), "\r\n") == lines);
  }
}
