// Incremental HTTP/1.1 response parser for the load driver. Feed it bytes as
// they arrive, split anywhere; it consumes exactly one response and stops, so
// bytes of a following response stay with the caller. Handles Content-Length,
// chunked transfer coding (with extensions and trailers), bodies delimited by
// connection close, HEAD and 204/304 (no body), 1xx interim responses
// (skipped), and Connection: close / HTTP/1.0 keep-alive rules. No allocation:
// the body is counted, not stored (an optional observer sees it pass).
#pragma once

#include <cstddef>
#include <cstdint>

namespace loadprof::load {

class ResponseParser {
 public:
  enum class State { in_progress, done, failed };

  // Hears the final response's body as it passes, decoded (chunk framing
  // removed), in pieces split anywhere. Scenarios search it for a marker.
  class BodyObserver {
   public:
    virtual void on_body(const char* data, size_t len) = 0;

   protected:
    ~BodyObserver() = default;
  };
  // Null: none. Kept across reset().
  void observe_body(BodyObserver* observer) { observer_ = observer; }

  // Starts a new response; head_request: the request was HEAD (no body follows).
  void reset(bool head_request = false);
  // Consumes bytes up to the end of the response; returns how many were used.
  // Once done() or failed(), consumes nothing more.
  size_t feed(const char* data, size_t len);
  // The peer closed the connection: completes a close-delimited body, fails otherwise.
  void on_eof();

  State state() const { return state_; }
  bool done() const { return state_ == State::done; }
  bool failed() const { return state_ == State::failed; }
  const char* error() const { return error_; }
  int status() const { return status_; }
  // Whether the connection may carry another request after this response.
  bool keep_alive() const { return keep_alive_; }
  uint64_t body_bytes() const { return body_bytes_; }
  // True once the status line of the final (non-1xx) response has started.
  bool started() const { return started_; }

 private:
  enum class Phase : uint8_t {
    status_line, header_line_start, header_name, header_value, header_skip,
    body_length, chunk_size, chunk_ext, chunk_size_lf, chunk_data, chunk_data_cr, chunk_data_lf,
    trailer_line_start, trailer_skip, trailer_lf, body_until_close, headers_lf,
  };
  enum class Header : uint8_t { other, content_length, transfer_encoding, connection };

  void fail(const char* why);
  bool finish_status_line();
  bool finish_header();
  void headers_done();
  void finish();

  BodyObserver* observer_ = nullptr;
  State state_ = State::in_progress;
  Phase phase_ = Phase::status_line;
  const char* error_ = nullptr;
  bool head_request_ = false;
  bool started_ = false;
  bool keep_alive_ = true;
  bool http10_ = false;
  bool chunked_ = false;
  bool has_length_ = false;
  bool saw_keepalive_token_ = false;
  bool saw_close_token_ = false;
  int status_ = 0;
  uint64_t content_length_ = 0;
  uint64_t remaining_ = 0;
  uint64_t body_bytes_ = 0;
  Header header_ = Header::other;
  uint8_t line_len_ = 0;
  uint8_t name_len_ = 0;
  uint8_t value_len_ = 0;
  uint8_t chunk_digits_ = 0;
  char line_[32] = {};   // the status line's first bytes
  char name_[24] = {};   // lower-cased header name (only the ones we need fit)
  char value_[64] = {};  // lower-cased value of an interesting header
};

}  // namespace loadprof::load
