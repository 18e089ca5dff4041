// A small write-only protocol-buffers encoder: varints, length-delimited
// fields (strings, nested messages) and packed repeated varints, which is all
// profile.proto needs. Ours rather than libprotobuf: no protoc step in the
// build and no large library for one output format (see pprof.cpp).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace loadprof::report {

class ProtoWriter {
 public:
  // Wire type 0. int64 values are written as their two's complement (10 bytes
  // when negative), as protobuf does for int64 (not sint64).
  void varint(uint32_t field, uint64_t value);
  void int64(uint32_t field, int64_t value) { varint(field, static_cast<uint64_t>(value)); }
  // proto3 scalars equal to their default need not be written.
  void varint_unless_zero(uint32_t field, uint64_t value) {
    if (value != 0) varint(field, value);
  }
  // Wire type 2.
  void bytes(uint32_t field, std::string_view value);
  void message(uint32_t field, const ProtoWriter& nested) { bytes(field, nested.data()); }
  // A packed repeated varint field (one length-delimited record); nothing when empty.
  void packed(uint32_t field, std::span<const uint64_t> values);
  void packed(uint32_t field, std::span<const int64_t> values);

  const std::string& data() const { return data_; }
  void clear() { data_.clear(); }

  static void append_varint(std::string& out, uint64_t value);

 private:
  void tag(uint32_t field, uint32_t wire_type) { append_varint(data_, uint64_t{field} << 3 | wire_type); }
  std::string data_;
};

}  // namespace loadprof::report
