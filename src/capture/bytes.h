// Byte-level building blocks of the .lpc encoding: little-endian fixed-width
// integers, LEB128 varints, zigzag for signed deltas, length-prefixed strings.
// ByteReader never reads past its input: a short or malformed input sets a
// sticky failure flag and yields zeros, so decoders check ok() once at the end.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace loadprof::capture {

inline uint64_t zigzag(int64_t v) { return (uint64_t(v) << 1) ^ uint64_t(v >> 63); }
inline int64_t unzigzag(uint64_t v) { return int64_t(v >> 1) ^ -int64_t(v & 1); }

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}

  void u8(uint8_t v) { out_.push_back(char(v)); }
  void u16le(uint16_t v) { fixed(v, 2); }
  void u32le(uint32_t v) { fixed(v, 4); }
  void u64le(uint64_t v) { fixed(v, 8); }
  void varint(uint64_t v) {
    while (v >= 0x80) {
      out_.push_back(char(uint8_t(v) | 0x80));
      v >>= 7;
    }
    out_.push_back(char(uint8_t(v)));
  }
  void svarint(int64_t v) { varint(zigzag(v)); }
  void str(std::string_view s) {
    varint(s.size());
    out_.append(s);
  }
  void raw(std::string_view s) { out_.append(s); }
  size_t size() const { return out_.size(); }

 private:
  void fixed(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_.push_back(char(uint8_t(v >> (8 * i))));
  }
  std::string& out_;
};

class ByteReader {
 public:
  explicit ByteReader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }
  size_t remaining() const { return in_.size() - pos_; }
  size_t position() const { return pos_; }
  void fail() {
    ok_ = false;
    pos_ = in_.size();
  }

  uint8_t u8() { return uint8_t(fixed(1)); }
  uint16_t u16le() { return uint16_t(fixed(2)); }
  uint32_t u32le() { return uint32_t(fixed(4)); }
  uint64_t u64le() { return fixed(8); }
  uint64_t varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= in_.size()) {
        fail();
        return 0;
      }
      uint8_t b = uint8_t(in_[pos_++]);
      // The tenth byte may carry only the top bit of a 64-bit value.
      if (shift == 63 && b > 1) {
        fail();
        return 0;
      }
      v |= uint64_t(b & 0x7F) << shift;
      if (!(b & 0x80)) return v;
    }
    fail();
    return 0;
  }
  int64_t svarint() { return unzigzag(varint()); }
  // A varint that must fit in 32 bits.
  uint32_t varint32() {
    uint64_t v = varint();
    if (v > UINT32_MAX) {
      fail();
      return 0;
    }
    return uint32_t(v);
  }
  std::string str() {
    uint64_t n = varint();
    if (n > remaining()) {
      fail();
      return {};
    }
    std::string s(in_.substr(pos_, n));
    pos_ += n;
    return s;
  }
  // A count of items that each take at least `min_bytes`: rejects counts the
  // remaining input cannot hold, so a corrupt count never drives a huge reserve().
  uint64_t count(size_t min_bytes = 1) {
    uint64_t n = varint();
    if (min_bytes > 0 && n > remaining() / min_bytes) {
      fail();
      return 0;
    }
    return n;
  }
  std::string_view bytes(size_t n) {
    if (n > remaining()) {
      fail();
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  void skip(size_t n) { bytes(n); }

 private:
  uint64_t fixed(int bytes) {
    if (remaining() < size_t(bytes)) {
      fail();
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) v |= uint64_t(uint8_t(in_[pos_ + i])) << (8 * i);
    pos_ += bytes;
    return v;
  }

  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace loadprof::capture
