// Protocol-buffers wire encoding (varint, length-delimited, packed).
#include "protobuf_writer.h"

namespace loadprof::report {

void ProtoWriter::append_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7f) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

void ProtoWriter::varint(uint32_t field, uint64_t value) {
  tag(field, 0);
  append_varint(data_, value);
}

void ProtoWriter::bytes(uint32_t field, std::string_view value) {
  tag(field, 2);
  append_varint(data_, value.size());
  data_.append(value);
}

void ProtoWriter::packed(uint32_t field, std::span<const uint64_t> values) {
  if (values.empty()) return;
  std::string body;
  for (uint64_t v : values) append_varint(body, v);
  bytes(field, body);
}

void ProtoWriter::packed(uint32_t field, std::span<const int64_t> values) {
  if (values.empty()) return;
  std::string body;
  for (int64_t v : values) append_varint(body, static_cast<uint64_t>(v));
  bytes(field, body);
}

}  // namespace loadprof::report
