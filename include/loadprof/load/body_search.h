// Searching a response body for a marker while it streams past
// (expect.body_contains): the body is seen in pieces split anywhere (reads,
// chunks), so the last marker-length-minus-one bytes of what came before are
// carried over and the seams searched too. Fixed storage, no allocation after
// construction, so a body of any size is checked in full.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "loadprof/load/http_response.h"

namespace loadprof::load {

class BodySearch final : public ResponseParser::BodyObserver {
 public:
  static constexpr size_t kMaxMarkerBytes = 1024;

  // Starts a new body; the marker (at most kMaxMarkerBytes, not empty) must
  // outlive the search.
  void start(std::string_view marker);
  void on_body(const char* data, size_t len) override;
  bool found() const { return found_; }
  uint64_t body_bytes() const { return body_bytes_; }

 private:
  std::string_view marker_;
  std::unique_ptr<char[]> window_;  // carry (up to marker - 1 bytes), then the next piece's head
  size_t carry_ = 0;
  uint64_t body_bytes_ = 0;
  bool found_ = false;
};

}  // namespace loadprof::load
