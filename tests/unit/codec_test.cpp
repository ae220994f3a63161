// SPDX-License-Identifier: Apache-2.0
//
// Encoder/decoder round trips, stream edges, bit accounting, the worst-case bound and decoder
// errors. Spec: "Tensor stream", "Decoder errors", "Worst-case size".
#include "sfp/codec.hpp"

#include <catch2/catch.hpp>
#include <numeric>
#include <random>

#include "codec_util.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp {
namespace {

using test::must_decode;
using test::must_encode;
using test::quantized;

// Checks the accounting identity: every payload bit and every index bit is attributed once.
void check_accounting(const Encoded& e) {
  const BitCounts& b = e.bits;
  CHECK(b.sign + b.zero + b.base + b.width + b.delta + b.mantissa + b.pad == e.payload.size() * 8);
  CHECK(b.index == chunk_count(e.config, e.values) * index_entry_bits(e.config));
  CHECK(b.total() <= max_encoded_bits(e.config, e.values));
}

TEST_CASE("Every BF16 pattern round-trips losslessly in every group position", "[roundtrip]") {
  const unsigned g = GENERATE(4u, 8u, 16u, 32u);
  const BaseCode base = GENERATE(BaseCode::kRaw, BaseCode::kDelta, BaseCode::kGamma);
  const ZeroCode zero = GENERATE(ZeroCode::kNone, ZeroCode::kMask, ZeroCode::kMode);
  Config c = Config::lossless(Fp::kBf16, 1);
  c.group = g;
  c.base = base;
  c.zero = zero;
  c.chunk = 1024;
  for (unsigned pos = 0; pos < g; ++pos) {
    std::vector<uint32_t> v(pos, 0x3F80);  // shifts every pattern to lane (i + pos) mod G
    for (uint32_t b = 0; b < 0x10000; ++b) v.push_back(b);
    const Encoded e = must_encode(c, v);
    const auto out = must_decode(e);
    if (out != v) FAIL("G=" << g << " pos=" << pos << " " << to_string(c));
    check_accounting(e);
  }
}

TEST_CASE("FP32 random values and every special class round-trip losslessly", "[roundtrip]") {
  const unsigned g = GENERATE(4u, 16u, 32u);
  const BaseCode base = GENERATE(BaseCode::kRaw, BaseCode::kDelta, BaseCode::kGamma);
  const ZeroCode zero = GENERATE(ZeroCode::kNone, ZeroCode::kMask, ZeroCode::kMode);
  const bool gecko = GENERATE(true, false);
  const unsigned word = GENERATE(32u, 256u, 512u);
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = Config::lossless(Fp::kFp32, 1);
  c.group = g;
  c.base = base;
  c.zero = zero;
  c.gecko = gecko;
  c.word_bits = word;
  c.chunk = 256;
  auto v = test::random_values(rng, Fp::kFp32, 5000);
  const auto corners = test::corners(Fp::kFp32);
  v.insert(v.begin() + 17, corners.begin(), corners.end());
  const Encoded e = must_encode(c, v);
  CHECK(must_decode(e) == v);
  check_accounting(e);
}

TEST_CASE("Lossy decode gives Q_m of the input for every m of both formats and both roundings",
          "[roundtrip]") {
  const Fp fp = GENERATE(Fp::kFp32, Fp::kBf16);
  const Rounding r = GENERATE(Rounding::kTruncate, Rounding::kNearestEven);
  std::mt19937_64 rng(Catch::rngSeed());
  auto v = test::random_values(rng, fp, 3000);
  const auto corners = test::corners(fp);
  v.insert(v.end(), corners.begin(), corners.end());
  for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) {
    Config c = Config::lossless(fp, 1);
    c.man_bits = m;
    c.rounding = r;
    c.chunk = 512;
    const Encoded e = must_encode(c, v);
    const auto q = quantized(c, v);
    if (must_decode(e) != q) FAIL("m=" << m << " " << to_string(c));
    check_accounting(e);
    const uint64_t nonzero = v.size() - std::count(q.begin(), q.end(), 0u);
    CHECK(e.bits.mantissa >= uint64_t{m} * nonzero);
    CHECK(e.bits.sign == nonzero);
  }
}

TEST_CASE("Stream edges: empty tensor and one value and lengths not a multiple of G or C",
          "[roundtrip]") {
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = Config::lossless(Fp::kFp32, 1);
  c.group = 8;
  c.chunk = 64;
  c.word_bits = 64;
  for (size_t n : {0, 1, 7, 8, 9, 63, 64, 65, 127, 129, 1000}) {
    const auto v = test::random_values(rng, Fp::kFp32, n);
    const Encoded e = must_encode(c, v);
    CHECK(e.chunk_words.size() == (n + 63) / 64);
    CHECK(e.payload.size() % 8 == 0);
    CHECK(must_decode(e) == v);
    check_accounting(e);
  }
  const Encoded empty = must_encode(c, {});
  CHECK(empty.payload.empty());
  CHECK(empty.bits.total() == 0);
  CHECK(max_encoded_bits(c, 0) == 0);
}

TEST_CASE("Every chunk decodes on its own", "[roundtrip]") {
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = Config::lossless(Fp::kFp32, 1);
  c.chunk = 128;
  const auto v = test::random_values(rng, Fp::kFp32, 1000);
  const Encoded e = must_encode(c, v);
  size_t at = 0;
  for (size_t i = 0; i < e.chunk_words.size(); ++i) {
    const size_t first = i * c.chunk, len = std::min<size_t>(c.chunk, v.size() - first);
    std::vector<uint32_t> out(len);
    REQUIRE(decode_chunk(c, len, e.payload.data() + at, e.chunk_words[i], out.data()) ==
            Status::kOk);
    CHECK(std::equal(out.begin(), out.end(), v.begin() + first));
    at += e.chunk_words[i] * c.word_bits / 8;
  }
}

TEST_CASE("Bit accounting of an all-equal group and an all-zero group", "[accounting]") {
  Config c = Config::lossless(Fp::kFp32, 1);  // G = 16, delta base, mode zeros
  std::vector<uint32_t> v(16, 0x3F800000);    // 1.0: B = 127 = P, w = 0
  v.resize(32, 0);                            // then a group of zeros
  const Encoded e = must_encode(c, v);
  CHECK(e.bits.zero == 1 + 2);  // "0", then "10"
  CHECK(e.bits.base == 1);      // D = 0
  CHECK(e.bits.width == 3);     // one width code
  CHECK(e.bits.delta == 0);     // w = 0
  CHECK(e.bits.sign == 16);
  CHECK(e.bits.mantissa == 16 * 23);
  CHECK(e.bits.pad == 512u - (3 + 1 + 3 + 16 + 16 * 23));  // 391 bits in 2 words
  CHECK(e.bits.index == index_entry_bits(c));
}

TEST_CASE("max_encoded_bits is reached by the worst-case input", "[accounting]") {
  const ZeroCode zero = GENERATE(ZeroCode::kNone, ZeroCode::kMask, ZeroCode::kMode);
  const BaseCode base = GENERATE(BaseCode::kRaw, BaseCode::kDelta);
  const unsigned g = GENERATE(4u, 16u, 32u);
  Config c = Config::lossless(Fp::kFp32, 1);
  c.zero = zero;
  c.base = base;
  c.group = g;
  c.chunk = 1024;
  c.word_bits = 32;
  // Every group spans exponents so its width is 8, and bases alternate 0 / 100 so the delta base
  // code always escapes; where a zero mask costs more than a value field it is used instead.
  std::vector<uint32_t> v;
  const size_t n = 4096;
  for (size_t i = 0; v.size() < n; ++i) {
    const uint32_t lo_exp = (i % 2) ? 100u : 0u;
    for (unsigned l = 0; l < g; ++l) {
      v.push_back(l == 0 ? (lo_exp << 23) | 1u : l == 1 ? 0x7FFFFFFFu : 0xBFFFFFFFu);
    }
  }
  const Encoded plain = must_encode(c, v);
  const uint64_t bound = max_encoded_bits(c, n);
  // With mask/mode zero codes, a group with one zero can be the worst case for small G.
  const unsigned per_value = 1 + 8 + 23;
  const bool zero_is_worse =
      (zero == ZeroCode::kMode && g + 1 > per_value) || (zero == ZeroCode::kMask && g > per_value);
  if (!zero_is_worse) CHECK(plain.bits.total() == bound);
  CHECK(plain.bits.total() <= bound);
}

// Builds a one-chunk stream by hand from (value, bits) fields.
Encoded hand_stream(const Config& c, uint64_t values, std::vector<std::pair<uint64_t, unsigned>> f,
                    unsigned words) {
  Encoded e;
  e.config = c;
  e.values = values;
  e.chunk_words = {words};
  e.payload.assign(words * c.word_bits / 8, 0);
  uint64_t pos = 0;
  for (auto [v, n] : f) {
    for (unsigned i = 0; i < n; ++i, ++pos) {
      if ((v >> i) & 1) e.payload[pos / 8] |= static_cast<uint8_t>(1u << (pos % 8));
    }
  }
  return e;
}

TEST_CASE("Decoder errors: each malformed stream gives its spec code", "[errors]") {
  Config c = Config::lossless(Fp::kFp32, 1);
  c.group = 4;
  c.chunk = 4;
  c.word_bits = 32;
  std::vector<uint32_t> out(4);
  const std::vector<uint32_t> ones(4, 0x3F800000);
  const Encoded good = must_encode(c, ones);  // 1+1+3+4*24 = 101 bits: 4 words

  SECTION("bad_config") {
    Encoded e = good;
    e.config.group = 12;
    CHECK(decode(e, out.data()) == Status::kBadConfig);
    Config bad;
    CHECK(unpack_config(0x01000000u | pack_config(c), &bad) == Status::kBadConfig);
    CHECK(unpack_config(pack_config(c) | (31u << 1), &bad) == Status::kBadConfig);  // m=31
  }
  SECTION("bad_index") {
    Encoded e = good;
    e.chunk_words.push_back(0);
    CHECK(decode(e, out.data()) == Status::kBadIndex);
    e = good;
    e.chunk_words[0] += 1;
    CHECK(decode(e, out.data()) == Status::kBadIndex);
    e.payload.resize(e.payload.size() + 4);
    e.chunk_words[0] = 1000;
    CHECK(decode(e, out.data()) == Status::kBadIndex);
  }
  SECTION("truncated") {
    Encoded e = good;
    e.chunk_words[0] -= 1;
    e.payload.resize(e.payload.size() - 4);
    CHECK(decode(e, out.data()) == Status::kTruncated);
    CHECK(out == std::vector<uint32_t>(4, 0));  // the failing group is output as +0
  }
  SECTION("bad_base_code") {
    c.base = BaseCode::kGamma;
    const Encoded e = hand_stream(c, 4, {{0, 1}, {0, 9}, {1, 1}}, 1);  // zero info, 9 zeros
    CHECK(decode(e, out.data()) == Status::kBadBaseCode);
  }
  SECTION("exp_range from the base predictor") {
    // Delta base "1 1 0 s=0 x=3": D = +5 from 127 is fine; raw base 255 then delta 1 is not.
    c.base = BaseCode::kRaw;
    const Encoded e = hand_stream(c, 4, {{0, 1}, {255, 8}, {1, 3}, {0b10, 2}}, 4);
    CHECK(decode(e, out.data()) == Status::kExpRange);
  }
  SECTION("exp_range from a base difference") {
    c.base = BaseCode::kGamma;
    // P = 127, D = +200: zigzag 400, v = 401 = 2^8 + 145: 8 zeros, a one, 145 in 8 bits.
    const Encoded e = hand_stream(c, 4, {{0, 1}, {0, 8}, {1, 1}, {145, 8}}, 4);
    CHECK(decode(e, out.data()) == Status::kExpRange);
  }
  SECTION("bad_padding") {
    Encoded e = good;
    e.payload.back() |= 0x80;
    CHECK(decode(e, out.data()) == Status::kBadPadding);
  }
  SECTION("length") {
    Encoded e = good;
    e.chunk_words[0] += 1;
    e.payload.resize(e.payload.size() + 4, 0);
    CHECK(decode(e, out.data()) == Status::kLength);
  }
  SECTION("bad_input on the encoder") {
    Config b = Config::lossless(Fp::kBf16, 1);
    const std::vector<uint32_t> wide{0x3F800000};
    Encoded e;
    CHECK(encode(b, wide.data(), 1, &e) == Status::kBadInput);
    CHECK(e.payload.empty());
  }
}

TEST_CASE("Corrupted payloads never crash the decoder", "[errors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const BaseCode base = GENERATE(BaseCode::kRaw, BaseCode::kDelta, BaseCode::kGamma);
  Config c = Config::lossless(Fp::kFp32, 1);
  c.base = base;
  c.chunk = 256;
  const auto v = test::random_values(rng, Fp::kFp32, 2000);
  const Encoded good = must_encode(c, v);
  std::vector<uint32_t> out(v.size());
  size_t errors = 0;
  for (int trial = 0; trial < 500; ++trial) {
    Encoded e = good;
    const size_t flips = 1 + rng() % 8;
    for (size_t i = 0; i < flips; ++i) {
      e.payload[rng() % e.payload.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    }
    const Status s = decode(e, out.data());
    errors += s != Status::kOk;
  }
  CHECK(errors > 0);  // most flips are detected; none may crash (run under ASan/UBSan in CI)
}

TEST_CASE("The configuration word round-trips and rejects what the spec forbids", "[config]") {
  Config c;
  c.fp = Fp::kBf16;
  c.man_bits = 3;
  c.rounding = Rounding::kNearestEven;
  c.gecko = false;
  c.group = 32;
  c.base = BaseCode::kGamma;
  c.zero = ZeroCode::kMask;
  c.chunk = 1u << 20;
  c.word_bits = 512;
  Config back;
  REQUIRE(unpack_config(pack_config(c), &back) == Status::kOk);
  CHECK(back == c);
  std::string why;
  c.man_bits = 8;  // above BF16's 7
  CHECK(validate(c, &why) == Status::kBadConfig);
  CHECK(why.find("m=8") != std::string::npos);
  c.man_bits = 7;
  c.chunk = 16;  // smaller than G
  CHECK(validate(c, &why) == Status::kBadConfig);
  c.chunk = 64;
  c.word_bits = 48;
  CHECK(validate(c, &why) == Status::kBadConfig);
  Encoded e;
  const std::vector<uint32_t> one{0};
  CHECK(encode(c, one.data(), 1, &e) == Status::kBadConfig);
}

}  // namespace
}  // namespace sfp
