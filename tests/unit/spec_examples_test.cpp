// SPDX-License-Identifier: Apache-2.0
//
// The worked examples of docs/format.md, one test each, named after the example's heading. The
// expected bytes were derived by hand from the spec, field by field (see the tables there).
#include <catch2/catch.hpp>

#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"

namespace sfp {
namespace {

struct Example {
  Config config;
  std::vector<uint32_t> input;
  std::vector<uint32_t> decoded;
  std::vector<uint8_t> payload;
  std::vector<uint32_t> chunk_words;
  uint64_t used_bits;  // bits before padding
};

Config small(Fp fp, unsigned m, unsigned chunk) {
  Config c = Config::lossless(fp, 1);
  c.man_bits = m;
  c.group = 4;
  c.base = BaseCode::kDelta;
  c.zero = ZeroCode::kMode;
  c.chunk = chunk;
  c.word_bits = 32;
  return c;
}

void check_example(const Example& x) {
  Encoded e;
  REQUIRE(encode(x.config, x.input.data(), x.input.size(), &e) == Status::kOk);
  CHECK(e.payload == x.payload);
  CHECK(e.chunk_words == x.chunk_words);
  CHECK(e.bits.total() - e.bits.overhead() == x.used_bits);
  std::vector<uint32_t> out(x.input.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == x.decoded);
}

TEST_CASE("Example: lossless BF16 group with a zero", "[spec]") {
  Example x{small(Fp::kBf16, 7, 4),
            {0x3F80, 0x4000, 0x0000, 0xBFC0},
            {0x3F80, 0x4000, 0x0000, 0xBFC0},
            {0x93, 0x00, 0x10, 0x10, 0x10, 0x00, 0x00, 0x00},
            {2},
            37};
  check_example(x);
  CHECK(index_entry_bits(x.config) == 2);
  CHECK(max_chunk_bits(x.config, 4) == 79);
}

TEST_CASE("Example: FP32 truncated to three mantissa bits", "[spec]") {
  Example x{small(Fp::kFp32, 3, 8),
            {0x3F800000, 0x3FA00000, 0x3E800000, 0x40490FDB, 0, 0, 0},
            {0x3F800000, 0x3FA00000, 0x3E800000, 0x40400000, 0, 0, 0},
            {0x16, 0x11, 0x14, 0x60, 0x06, 0x00, 0x00, 0x00},
            {2},
            36};
  check_example(x);
}

TEST_CASE("Example: lossless FP32 specials with an escaped base", "[spec]") {
  const std::vector<uint32_t> v{0x7FC00001, 0xFF800000, 0x00000001, 0x80000000};
  Example x{small(Fp::kFp32, 23, 4),
            v,
            v,
            {0x0e, 0x70, 0xff, 0x01, 0x00, 0xc0, 0xff, 0x00, 0x00, 0x00,
             0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00},
            {5},
            143};
  check_example(x);
}

TEST_CASE("Example: BF16 rounded to nearest even without Gecko", "[spec]") {
  Config c = small(Fp::kBf16, 3, 4);
  c.rounding = Rounding::kNearestEven;
  c.gecko = false;
  c.zero = ZeroCode::kMask;
  Example x{c,
            {0x3FF8, 0x7F7F, 0xFF81, 0x3F84},
            {0x4000, 0x7F80, 0xFFC0, 0x3F80},
            {0x00, 0xc2, 0x3f, 0xfe, 0xd3, 0x1f, 0x00, 0x00},
            {2},
            49};
  check_example(x);
}

TEST_CASE("Example: FP32 with no mantissa bits keeps NaN apart from Inf", "[spec]") {
  Config c = small(Fp::kFp32, 0, 4);
  c.base = BaseCode::kRaw;
  Example x{c,
            {0x7F800000, 0x7F800001, 0x3F800000, 0x3FFFFFFF},
            {0x7F800000, 0x7FC00000, 0x3F800000, 0x3F800000},
            {0xfe, 0x0e, 0x10, 0xc0, 0x00, 0x00, 0x00, 0x00},
            {2},
            50};
  check_example(x);
}

TEST_CASE("Tensor configuration word: the default lossless FP32 word", "[spec]") {
  CHECK(pack_config(Config::lossless(Fp::kFp32, 1)) == 0x00864CAEu);
  Config c;
  REQUIRE(unpack_config(0x00864CAEu, &c) == Status::kOk);
  CHECK(c == Config::lossless(Fp::kFp32, 1));
  CHECK(to_string(c) == "fp32 m=23 trunc gecko G=16 base=delta zero=mode C=4096 W=256");
}

// ---- Version 2 ---------------------------------------------------------------------------

// CRC-32C bit by bit, independent of the model's table and instruction versions.
uint32_t crc32c_bitwise(const std::vector<uint8_t>& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ ((crc & 1u) ? 0x82F63B78u : 0u);
  }
  return ~crc;
}

Config small_v2(Fp fp, unsigned m, unsigned chunk) {
  Config c = Config::lossless(fp, 2);
  c.man_bits = m;
  c.group = 4;
  c.chunk = chunk;
  return c;
}

TEST_CASE("Example: version 2 BF16 chunk with zeros and a repeat", "[spec][v2]") {
  CHECK(chunk_lanes(4, 16) == 1);  // fewer than 32 values per lane: one lane
  const Config c = small_v2(Fp::kBf16, 7, 16);
  CHECK(pack_config(c) == 0x0102020Fu);
  const std::vector<uint32_t> in = {0x3F80, 0,      0,      0x4000, 0, 0, 0,      0x4000,
                                    0,      0x3F80, 0x3F80, 0,      0, 0, 0xBFC0, 0};
  Encoded e;
  REQUIRE(encode(c, in.data(), in.size(), &e) == Status::kOk);
  CHECK(pack_table(e.table) == std::vector<uint8_t>{0x80, 0x08, 0x62, 0x60, 0x04});
  const std::vector<uint8_t> chunk = {0x01, 0, 0, 0, 0x71, 0x5C, 0x43, 0,
                                      0x00, 0, 0, 0, 0x81, 0,    0,    0};
  CHECK(e.payload == chunk);
  CHECK(e.chunk_words == std::vector<uint32_t>{4});
  CHECK(e.chunk_raw == std::vector<uint8_t>{0});
  std::vector<uint8_t> covered = {0};
  covered.insert(covered.end(), chunk.begin(), chunk.end());
  CHECK(e.chunk_crc == std::vector<uint32_t>{crc32c_bitwise(covered)});
  CHECK(e.chunk_crc[0] == 0x68AE3743u);
  CHECK(index_entry_bits(c) == 4 + 1 + 32);
  std::vector<uint32_t> out(in.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == in);
}

TEST_CASE("Example: version 2 four lanes of BF16 zeros", "[spec][v2]") {
  Config c = small_v2(Fp::kBf16, 0, 128);
  CHECK(pack_config(c) == 0x01038201u);
  CHECK(chunk_lanes(4, 128) == 4);
  std::vector<uint32_t> in(128, 0);
  in[5] = 0x4000;
  Encoded e;
  REQUIRE(encode(c, in.data(), in.size(), &e) == Status::kOk);
  CHECK(pack_table(e.table) == std::vector<uint8_t>{0x80, 0x05, 0x02, 0x20, 0x00});
  const std::vector<uint8_t> chunk = {0x04, 0, 0, 0, 0, 0, 0, 0, 0x02, 0,
                                      0,    0, 0, 0, 0, 0, 0, 0, 0,    0};
  CHECK(e.payload == chunk);
  CHECK(e.chunk_raw == std::vector<uint8_t>{0});
  std::vector<uint8_t> covered = {0};
  covered.insert(covered.end(), chunk.begin(), chunk.end());
  CHECK(e.chunk_crc == std::vector<uint32_t>{crc32c_bitwise(covered)});
  CHECK(e.chunk_crc[0] == 0x71B61605u);
  CHECK(index_entry_bits(c) == 6 + 1 + 32);
  CHECK(e.bits.sign == 0);
  CHECK(e.bits.mantissa == 0);
  std::vector<uint32_t> out(in.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == in);
}

TEST_CASE("Example: version 2 raw chunk of BF16 specials", "[spec][v2]") {
  const Config c = small_v2(Fp::kBf16, 3, 4);
  CHECK(pack_config(c) == 0x01010207u);
  const std::vector<uint32_t> in = {0x3F80, 0x7F80, 0xFFC1, 0x0001};
  Encoded e;
  REQUIRE(encode(c, in.data(), in.size(), &e) == Status::kOk);
  const std::vector<uint8_t> chunk = {0xFE, 0xE0, 0x1F, 0xFF, 0x09, 0x00, 0x00, 0x00};
  CHECK(e.payload == chunk);
  CHECK(e.chunk_raw == std::vector<uint8_t>{1});
  std::vector<uint8_t> covered = {1};
  covered.insert(covered.end(), chunk.begin(), chunk.end());
  CHECK(e.chunk_crc == std::vector<uint32_t>{crc32c_bitwise(covered)});
  CHECK(e.chunk_crc[0] == 0x065A0A2Bu);
  std::vector<uint32_t> out(in.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == std::vector<uint32_t>{0x3F80, 0x7F80, 0xFFC0, 0x0000});
}

Config small_v3(Fp fp, unsigned m, unsigned chunk) {
  Config c = Config::lossless(fp, 3);
  c.man_bits = m;
  c.group = 4;
  c.chunk = chunk;
  return c;
}

TEST_CASE("Example: version 3 BF16 chunk with zeros and a repeat", "[spec][v3]") {
  const Config c = small_v3(Fp::kBf16, 7, 16);
  CHECK(chunk_lanes(c, 16) == 1);  // fewer than 64 values per lane: one lane
  CHECK(pack_config(c) == 0x0202020Fu);
  const std::vector<uint32_t> in = {0x3F80, 0,      0,      0x4000, 0, 0, 0,      0x4000,
                                    0,      0x3F80, 0x3F80, 0,      0, 0, 0xBFC0, 0};
  Encoded e;
  REQUIRE(encode(c, in.data(), in.size(), &e) == Status::kOk);
  CHECK(e.table_ref == 0);
  CHECK(e.table.dist == 2);
  CHECK(!e.table.two);
  const uint8_t want_lengths[5] = {1, 4, 4, 3, 2};  // ZERO, REP, ESC, D_0, D_1
  CHECK(std::equal(want_lengths, want_lengths + 5, e.table.lengths[0]));
  CHECK(pack_table_section(e.table, 0) == std::vector<uint8_t>{0x00, 0x11, 0x04, 0xD1, 0x08});
  const std::vector<uint8_t> chunk = {0x01, 0x30, 0x00, 0x0C, 0x40, 0x00,
                                      0x87, 0x02, 0x01, 0x00, 0x00, 0x00};
  CHECK(e.payload == chunk);
  CHECK(e.chunk_words == std::vector<uint32_t>{3});
  CHECK(e.chunk_crc == std::vector<uint32_t>{crc32c_bitwise(chunk)});
  CHECK(e.chunk_crc[0] == 0xB73A63DBu);
  CHECK(index_entry_bits(c) == 6 + 32);
  CHECK(min_chunk_units_v3(c, 16) == 1);
  CHECK(max_chunk_units_v3(c, 16) == 32);
  std::vector<uint32_t> out(in.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == in);
}

TEST_CASE("Example: version 3 two lanes of BF16 zeros", "[spec][v3]") {
  const Config c = small_v3(Fp::kBf16, 0, 128);
  CHECK(pack_config(c) == 0x02038201u);
  CHECK(chunk_lanes(c, 128) == 2);
  std::vector<uint32_t> in(128, 0);
  in[5] = 0x4000;
  Encoded e;
  REQUIRE(encode(c, in.data(), in.size(), &e) == Status::kOk);
  CHECK(pack_table_section(e.table, 0) == std::vector<uint8_t>{0x00, 0x0B, 0x04, 0x88, 0x00});
  std::vector<uint8_t> chunk(20, 0);
  chunk[8] = 0x0C;
  CHECK(e.payload == chunk);
  CHECK(e.chunk_words == std::vector<uint32_t>{5});
  CHECK(min_chunk_units_v3(c, 128) == 4);
  CHECK(e.chunk_crc == std::vector<uint32_t>{crc32c_bitwise(chunk)});
  CHECK(e.chunk_crc[0] == 0xF760D18Fu);
  CHECK(index_entry_bits(c) == 9 + 32);
  CHECK(e.bits.sign == 0);
  CHECK(e.bits.mantissa == 0);
  std::vector<uint32_t> out(in.size());
  REQUIRE(decode(e, out.data()) == Status::kOk);
  CHECK(out == in);
}

}  // namespace
}  // namespace sfp
