// The protobuf encoder of the pprof export against an independent decoder
// (tests/report/proto_decode.h): varints at every length boundary, negative
// int64, strings, packed fields and nested messages round-trip, and the bytes
// of known encodings match the protobuf documentation's examples.
#include "report/protobuf_writer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

#include "report/proto_decode.h"

using loadprof::report::ProtoWriter;
using namespace loadprof::testing;

namespace {

std::string hex(const std::string& bytes) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += digits[c >> 4];
    out += digits[c & 15];
  }
  return out;
}

TEST(ProtoWriter, KnownEncodings) {
  // From the protobuf encoding guide: field 1 = 150 is 08 96 01; field 2 = "testing".
  ProtoWriter w;
  w.varint(1, 150);
  EXPECT_EQ(hex(w.data()), "089601");
  w.clear();
  w.bytes(2, "testing");
  EXPECT_EQ(hex(w.data()), "120774657374696e67");
  // Packed repeated field 4 = [3, 270, 86942]: 22 06 03 8e 02 9e a7 05.
  w.clear();
  const std::vector<uint64_t> packed{3, 270, 86942};
  w.packed(4, packed);
  EXPECT_EQ(hex(w.data()), "2206038e029ea705");
  // int64 -1 is ten bytes (two's complement, not zigzag).
  w.clear();
  w.int64(1, -1);
  EXPECT_EQ(hex(w.data()), "08ffffffffffffffffff01");
}

TEST(ProtoWriter, VarintsRoundTripAtEveryLengthBoundary) {
  std::vector<uint64_t> values{0, 1, 127, 128, 255, 300, 16383, 16384};
  for (int bits = 14; bits < 64; bits += 7) {
    values.push_back((uint64_t{1} << bits) - 1);
    values.push_back(uint64_t{1} << bits);
  }
  values.push_back(std::numeric_limits<uint64_t>::max());
  ProtoWriter w;
  for (size_t i = 0; i < values.size(); ++i) w.varint(static_cast<uint32_t>(i + 1), values[i]);
  auto fields = decode_message(w.data());
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    EXPECT_EQ((*fields)[i].number, i + 1);
    EXPECT_EQ((*fields)[i].wire_type, 0u);
    EXPECT_EQ((*fields)[i].varint, values[i]) << "value " << values[i];
  }
  // Large field numbers need a multi-byte tag.
  w.clear();
  w.varint(536870911, 7);  // the largest field number
  fields = decode_message(w.data());
  ASSERT_TRUE(fields);
  EXPECT_EQ((*fields)[0].number, 536870911u);
  EXPECT_EQ((*fields)[0].varint, 7u);
}

TEST(ProtoWriter, NegativeInt64AndSkippedZeros) {
  ProtoWriter w;
  w.int64(1, -5);
  w.int64(2, std::numeric_limits<int64_t>::min());
  w.varint_unless_zero(3, 0);
  w.varint_unless_zero(4, 9);
  auto fields = decode_message(w.data());
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 3u);
  EXPECT_EQ(static_cast<int64_t>((*fields)[0].varint), -5);
  EXPECT_EQ(static_cast<int64_t>((*fields)[1].varint), std::numeric_limits<int64_t>::min());
  EXPECT_EQ((*fields)[2].number, 4u);
  EXPECT_EQ((*fields)[2].varint, 9u);
}

TEST(ProtoWriter, StringsPackedAndNestedMessagesRoundTrip) {
  const std::string big(300, 'x');  // a length that needs a two-byte varint
  const std::vector<uint64_t> ids{1, 2, 300, uint64_t{1} << 40};
  const std::vector<int64_t> values{0, -1, 42};

  ProtoWriter inner;
  inner.varint(1, 77);
  inner.bytes(2, "inner text");
  ProtoWriter middle;
  middle.message(3, inner);
  middle.packed(1, ids);
  ProtoWriter outer;
  outer.bytes(6, "");
  outer.bytes(6, big);
  outer.message(2, middle);
  outer.packed(5, values);
  outer.packed(7, std::vector<uint64_t>{});  // empty: not written

  auto fields = decode_message(outer.data());
  ASSERT_TRUE(fields);
  ASSERT_EQ(fields->size(), 4u);
  EXPECT_EQ((*fields)[0].bytes, "");
  EXPECT_EQ((*fields)[1].bytes, big);
  EXPECT_TRUE(fields_of(*fields, 7).empty());

  auto mid = decode_message(fields_of(*fields, 2).at(0).bytes);
  ASSERT_TRUE(mid);
  auto packed_ids = decode_packed(fields_of(*mid, 1).at(0).bytes);
  ASSERT_TRUE(packed_ids);
  EXPECT_EQ(*packed_ids, ids);
  auto in = decode_message(fields_of(*mid, 3).at(0).bytes);
  ASSERT_TRUE(in);
  EXPECT_EQ(varint_of(*in, 1), 77u);
  EXPECT_EQ(fields_of(*in, 2).at(0).bytes, "inner text");

  auto packed_values = decode_packed(fields_of(*fields, 5).at(0).bytes);
  ASSERT_TRUE(packed_values);
  ASSERT_EQ(packed_values->size(), 3u);
  EXPECT_EQ(static_cast<int64_t>((*packed_values)[1]), -1);
  EXPECT_EQ(static_cast<int64_t>((*packed_values)[2]), 42);
}

TEST(ProtoDecode, RejectsTruncatedMessages) {
  ProtoWriter w;
  w.bytes(1, "abcdef");
  std::string cut = w.data().substr(0, w.data().size() - 1);
  EXPECT_FALSE(decode_message(cut));  // the decoder used by the export tests can tell damage
}

}  // namespace
