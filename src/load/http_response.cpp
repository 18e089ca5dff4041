// Byte-driven state machine: each byte moves the phase on, so a response split
// at any boundary parses exactly as the whole. Body bytes are skipped in bulk.
#include "loadprof/load/http_response.h"

#include <algorithm>
#include <cstring>

namespace loadprof::load {

namespace {
char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }
bool is_token_char(char c) {
  return c > 32 && c < 127 && !std::strchr("()<>@,;:\\\"/[]?={}", c);
}
int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
// Finds token t in a comma-separated, lower-cased list.
bool list_has(const char* v, size_t n, const char* t) {
  size_t tl = std::strlen(t);
  size_t i = 0;
  while (i < n) {
    while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ',')) ++i;
    size_t s = i;
    while (i < n && v[i] != ',') ++i;
    size_t e = i;
    while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t')) --e;
    if (e - s == tl && std::memcmp(v + s, t, tl) == 0) return true;
  }
  return false;
}
constexpr uint64_t kMaxChunkSize = 1ull << 40;
}  // namespace

void ResponseParser::reset(bool head_request) {
  BodyObserver* observer = observer_;
  *this = ResponseParser();
  observer_ = observer;
  head_request_ = head_request;
}

void ResponseParser::fail(const char* why) {
  state_ = State::failed;
  error_ = why;
  keep_alive_ = false;
}

void ResponseParser::finish() {
  state_ = State::done;
  if (http10_) keep_alive_ = saw_keepalive_token_ && !saw_close_token_;
  else keep_alive_ = !saw_close_token_;
  if (phase_ == Phase::body_until_close) keep_alive_ = false;
}

bool ResponseParser::finish_status_line() {
  // "HTTP/1.1 200" at least; the reason phrase was skipped.
  if (line_len_ < 12 || std::memcmp(line_, "HTTP/1.", 7) != 0 || (line_[7] != '0' && line_[7] != '1') ||
      line_[8] != ' ') {
    fail("bad status line");
    return false;
  }
  int code = 0;
  for (int i = 9; i < 12; ++i) {
    if (line_[i] < '0' || line_[i] > '9') {
      fail("bad status code");
      return false;
    }
    code = code * 10 + (line_[i] - '0');
  }
  if (line_len_ > 12 && line_[12] != ' ') {
    fail("bad status code");
    return false;
  }
  if (code < 100) {
    fail("bad status code");
    return false;
  }
  status_ = code;
  http10_ = line_[7] == '0';
  if (code >= 200) started_ = true;
  return true;
}

bool ResponseParser::finish_header() {
  // value_ holds the lower-cased value of an interesting header, trimmed on the left.
  size_t n = value_len_;
  while (n && (value_[n - 1] == ' ' || value_[n - 1] == '\t')) --n;
  switch (header_) {
    case Header::content_length: {
      if (n == 0 || n > 19) {
        fail("bad Content-Length");
        return false;
      }
      uint64_t v = 0;
      for (size_t i = 0; i < n; ++i) {
        if (value_[i] < '0' || value_[i] > '9') {
          fail("bad Content-Length");
          return false;
        }
        v = v * 10 + static_cast<uint64_t>(value_[i] - '0');
      }
      if (has_length_ && v != content_length_) {
        fail("conflicting Content-Length");
        return false;
      }
      has_length_ = true;
      content_length_ = v;
      break;
    }
    case Header::transfer_encoding:
      // Only "chunked" as the final coding is meaningful to a client that does not decode.
      if (n >= 7 && std::memcmp(value_ + n - 7, "chunked", 7) == 0) chunked_ = true;
      else {
        fail("unsupported Transfer-Encoding");
        return false;
      }
      break;
    case Header::connection:
      if (list_has(value_, n, "close")) saw_close_token_ = true;
      if (list_has(value_, n, "keep-alive")) saw_keepalive_token_ = true;
      break;
    case Header::other:
      break;
  }
  return true;
}

void ResponseParser::headers_done() {
  if (status_ < 200) {
    // Interim response (100 Continue, 103 Early Hints): the real one follows.
    // 101 Switching Protocols is not something a load driver can continue after.
    if (status_ == 101) {
      fail("unexpected 101 Switching Protocols");
      return;
    }
    bool head = head_request_;
    reset(head);
    return;
  }
  if (head_request_ || status_ == 204 || status_ == 304) {
    finish();
    return;
  }
  if (chunked_) {  // chunked wins over Content-Length (RFC 9112 6.3)
    phase_ = Phase::chunk_size;
    chunk_digits_ = 0;
    remaining_ = 0;
    return;
  }
  if (has_length_) {
    remaining_ = content_length_;
    if (remaining_ == 0) finish();
    else phase_ = Phase::body_length;
    return;
  }
  phase_ = Phase::body_until_close;
}

size_t ResponseParser::feed(const char* data, size_t len) {
  size_t i = 0;
  while (i < len && state_ == State::in_progress) {
    char c = data[i];
    switch (phase_) {
      case Phase::status_line:
        if (c == '\n') {
          if (line_len_ && line_[line_len_ - 1] == '\r') --line_len_;
          ++i;
          if (!finish_status_line()) return i;
          phase_ = Phase::header_line_start;
          continue;
        }
        if (line_len_ < sizeof(line_)) line_[line_len_++] = c;  // the rest of a long reason is skipped
        ++i;
        continue;
      case Phase::header_line_start:
        if (c == '\r') {
          phase_ = Phase::headers_lf;
          ++i;
          continue;
        }
        if (c == '\n') {
          ++i;
          headers_done();
          continue;
        }
        if (c == ' ' || c == '\t') {
          fail("obsolete header folding");
          return i + 1;
        }
        phase_ = Phase::header_name;
        name_len_ = 0;
        value_len_ = 0;
        header_ = Header::other;
        continue;  // re-read this byte as part of the name
      case Phase::headers_lf:
        ++i;
        if (c != '\n') {
          fail("bad line ending after headers");
          return i;
        }
        headers_done();
        continue;
      case Phase::header_name:
        ++i;
        if (c == ':') {
          auto is = [&](const char* n) { return name_len_ == std::strlen(n) && std::memcmp(name_, n, name_len_) == 0; };
          if (name_len_ == 0) {
            fail("empty header name");
            return i;
          }
          if (is("content-length")) header_ = Header::content_length;
          else if (is("transfer-encoding")) header_ = Header::transfer_encoding;
          else if (is("connection")) header_ = Header::connection;
          else header_ = Header::other;
          phase_ = header_ == Header::other ? Phase::header_skip : Phase::header_value;
          continue;
        }
        if (!is_token_char(c)) {
          fail("bad header name");
          return i;
        }
        // A name longer than the buffer is never one we look for: the sentinel length matches none.
        if (name_len_ < sizeof(name_)) name_[name_len_++] = lower(c);
        else name_len_ = sizeof(name_) + 1;
        continue;
      case Phase::header_value:
        ++i;
        if (c == '\n') {
          if (!finish_header()) return i;
          phase_ = Phase::header_line_start;
          continue;
        }
        if (c == '\r') continue;
        if (value_len_ == 0 && (c == ' ' || c == '\t')) continue;
        if (value_len_ >= sizeof(value_)) {
          if (header_ == Header::content_length) {
            fail("bad Content-Length");
            return i;
          }
          continue;  // long Connection list: the first 64 bytes decide
        }
        value_[value_len_++] = lower(c);
        continue;
      case Phase::header_skip: {
        const void* nl = std::memchr(data + i, '\n', len - i);
        if (!nl) return len;
        i = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
        phase_ = Phase::header_line_start;
        continue;
      }
      case Phase::body_length: {
        uint64_t take = std::min<uint64_t>(remaining_, len - i);
        if (observer_) observer_->on_body(data + i, take);
        i += take;
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) finish();
        continue;
      }
      case Phase::chunk_size: {
        int h = hex_value(c);
        ++i;
        if (h >= 0) {
          if (++chunk_digits_ > 16 || remaining_ > kMaxChunkSize) {
            fail("chunk size too large");
            return i;
          }
          remaining_ = remaining_ * 16 + static_cast<uint64_t>(h);
          continue;
        }
        if (chunk_digits_ == 0) {
          fail("bad chunk size");
          return i;
        }
        if (c == ';' || c == ' ' || c == '\t') phase_ = Phase::chunk_ext;
        else if (c == '\r') phase_ = Phase::chunk_size_lf;
        else if (c == '\n') goto chunk_size_done;
        else {
          fail("bad chunk size");
          return i;
        }
        continue;
      }
      case Phase::chunk_ext:
        ++i;
        if (c == '\n') goto chunk_size_done;
        continue;
      case Phase::chunk_size_lf:
        ++i;
        if (c != '\n') {
          fail("bad chunk line ending");
          return i;
        }
      chunk_size_done:
        if (remaining_ == 0) phase_ = Phase::trailer_line_start;
        else phase_ = Phase::chunk_data;
        continue;
      case Phase::chunk_data: {
        uint64_t take = std::min<uint64_t>(remaining_, len - i);
        if (observer_) observer_->on_body(data + i, take);
        i += take;
        remaining_ -= take;
        body_bytes_ += take;
        if (remaining_ == 0) phase_ = Phase::chunk_data_cr;
        continue;
      }
      case Phase::chunk_data_cr:
        ++i;
        if (c == '\r') phase_ = Phase::chunk_data_lf;
        else if (c == '\n') {
          phase_ = Phase::chunk_size;
          chunk_digits_ = 0;
        } else {
          fail("missing CRLF after chunk");
          return i;
        }
        continue;
      case Phase::chunk_data_lf:
        ++i;
        if (c != '\n') {
          fail("missing CRLF after chunk");
          return i;
        }
        phase_ = Phase::chunk_size;
        chunk_digits_ = 0;
        continue;
      case Phase::trailer_line_start:
        ++i;
        if (c == '\r') phase_ = Phase::trailer_lf;
        else if (c == '\n') finish();
        else phase_ = Phase::trailer_skip;
        continue;
      case Phase::trailer_lf:
        ++i;
        if (c != '\n') {
          fail("bad trailer line ending");
          return i;
        }
        finish();
        continue;
      case Phase::trailer_skip: {
        const void* nl = std::memchr(data + i, '\n', len - i);
        if (!nl) return len;
        i = static_cast<size_t>(static_cast<const char*>(nl) - data) + 1;
        phase_ = Phase::trailer_line_start;
        continue;
      }
      case Phase::body_until_close:
        if (observer_) observer_->on_body(data + i, len - i);
        body_bytes_ += len - i;
        i = len;
        continue;
    }
  }
  return i;
}

void ResponseParser::on_eof() {
  if (state_ != State::in_progress) return;
  if (phase_ == Phase::body_until_close) {
    finish();
    return;
  }
  fail(started_ || line_len_ ? "connection closed mid-response" : "connection closed before response");
}

}  // namespace loadprof::load
