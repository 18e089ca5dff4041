// A minimal protocol-buffers decoder for the tests: the reading side of
// src/report/protobuf_writer.h, written separately so a shared mistake in the
// encoder cannot hide (go tool pprof is the other, independent reader).
#pragma once

#include <zlib.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace loadprof::testing {

struct ProtoField {
  uint32_t number = 0;
  uint32_t wire_type = 0;
  uint64_t varint = 0;  // wire type 0
  std::string bytes;    // wire type 2
};

// Reads one varint at pos; nullopt on truncation or more than 10 bytes.
inline std::optional<uint64_t> read_varint(std::string_view data, size_t& pos) {
  uint64_t value = 0;
  for (int shift = 0; shift < 70; shift += 7) {
    if (pos >= data.size()) return std::nullopt;
    const uint8_t byte = static_cast<uint8_t>(data[pos++]);
    value |= uint64_t{byte & 0x7fu} << shift;
    if (!(byte & 0x80)) return value;
  }
  return std::nullopt;
}

// Every field of a message in wire order; nullopt when the bytes are not a
// well-formed message (only wire types 0 and 2 are expected from our encoder).
inline std::optional<std::vector<ProtoField>> decode_message(std::string_view data) {
  std::vector<ProtoField> fields;
  size_t pos = 0;
  while (pos < data.size()) {
    auto key = read_varint(data, pos);
    if (!key) return std::nullopt;
    ProtoField f;
    f.number = static_cast<uint32_t>(*key >> 3);
    f.wire_type = static_cast<uint32_t>(*key & 7);
    if (f.number == 0) return std::nullopt;
    if (f.wire_type == 0) {
      auto v = read_varint(data, pos);
      if (!v) return std::nullopt;
      f.varint = *v;
    } else if (f.wire_type == 2) {
      auto len = read_varint(data, pos);
      if (!len || *len > data.size() - pos) return std::nullopt;
      f.bytes = std::string(data.substr(pos, *len));
      pos += *len;
    } else {
      return std::nullopt;
    }
    fields.push_back(std::move(f));
  }
  return fields;
}

// The values of a packed repeated varint field; nullopt when malformed.
inline std::optional<std::vector<uint64_t>> decode_packed(std::string_view data) {
  std::vector<uint64_t> values;
  size_t pos = 0;
  while (pos < data.size()) {
    auto v = read_varint(data, pos);
    if (!v) return std::nullopt;
    values.push_back(*v);
  }
  return values;
}

// Fields with this number.
inline std::vector<ProtoField> fields_of(const std::vector<ProtoField>& fields, uint32_t number) {
  std::vector<ProtoField> out;
  for (const auto& f : fields)
    if (f.number == number) out.push_back(f);
  return out;
}

// The varint of the last field with this number, 0 when absent (proto3 default).
inline uint64_t varint_of(const std::vector<ProtoField>& fields, uint32_t number) {
  uint64_t v = 0;
  for (const auto& f : fields)
    if (f.number == number && f.wire_type == 0) v = f.varint;
  return v;
}

// gunzip through zlib; nullopt when the data is not a complete gzip stream.
inline std::optional<std::string> gunzip(std::string_view gz) {
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) return std::nullopt;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  z.avail_in = static_cast<uInt>(gz.size());
  std::string out;
  char buf[65536];
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = reinterpret_cast<Bytef*>(buf);
    z.avail_out = sizeof buf;
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(buf, sizeof buf - z.avail_out);
    if (rc == Z_BUF_ERROR && z.avail_in == 0) break;
  }
  inflateEnd(&z);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace loadprof::testing
