// SPDX-License-Identifier: Apache-2.0
//
// The fast version 3 chunk coder (codec_v3_fast.cpp) against the reference (codec_v3.cpp):
// random and adversarial values over FP32 and BF16, every m, 4 to 32 lanes and several chunk
// sizes, with the tensor's own table and with tables built from other values (which escape and
// may not code the values at all). The encoders must give the same status, bytes, CRC, bit
// counts and working set; the decoders the same status and values on every chunk the encoder
// makes and on altered ones (bits flipped, words added or removed, the CRC recomputed so that
// the decoder's other checks are reached). Spec: docs/format.md, "Version 3".
#include <catch2/catch.hpp>
#include <cstring>
#include <random>

#include "codec_util.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp {
namespace detail {
// codec_v3_fast.hpp (internal to the model): turns the fast coder's SIMD kernels on or off.
bool set_v3_fast_simd(bool on);
// Chunks the fast coder handed to the reference on this thread.
uint64_t v3_fast_fallbacks();
}  // namespace detail
namespace {

// Runs a test case with the fast coder's SIMD kernels on (where the CPU has them) or off: both
// of its paths are checked against the reference on the same machine.
class SimdSetting {
 public:
  explicit SimdSetting(bool on) : old_(detail::set_v3_fast_simd(on)) {}
  ~SimdSetting() { detail::set_v3_fast_simd(old_); }
  SimdSetting(const SimdSetting&) = delete;
  SimdSetting& operator=(const SimdSetting&) = delete;

 private:
  bool old_;
};

Config v3(Fp fp, unsigned m, unsigned lanes, unsigned chunk) {
  Config c = Config::lossless(fp, 3);
  c.man_bits = m;
  c.group = lanes;
  c.chunk = chunk;
  return c;
}

// Values of one kind: 0 random patterns and corners, 1 a slow lane of zeros beside lanes that
// escape at every step (expiry), 2 normal weights, 3 post-ReLU activations with runs of repeats,
// 4 all +0, 5 few distinct values (REP and ZERO contexts).
std::vector<uint32_t> values(std::mt19937_64& rng, Fp fp, unsigned kind, unsigned lanes, size_t n) {
  std::vector<uint32_t> v;
  const auto to_fp = [fp](float f) {
    uint32_t b;
    std::memcpy(&b, &f, 4);
    return fp == Fp::kBf16 ? b >> 16 : b;
  };
  switch (kind) {
    case 0:
      v = test::random_values(rng, fp, n);
      for (uint32_t x : test::corners(fp)) v.push_back(x);
      v.resize(n);
      break;
    case 1:
      v.resize(n);
      for (size_t i = 0; i < n; ++i) {
        const uint32_t r = static_cast<uint32_t>(rng());
        v[i] = i % lanes == 0 ? 0u : fp == Fp::kBf16 ? r & 0xFFFFu : r;
      }
      break;
    case 2: {
      std::normal_distribution<float> d(0.0f, 0.05f);
      for (size_t i = 0; i < n; ++i) v.push_back(to_fp(d(rng)));
      break;
    }
    case 3: {
      std::normal_distribution<float> d(-0.1f, 0.8f);
      for (size_t i = 0; i < n; ++i) {
        v.push_back(i && rng() % 4 == 0 ? v.back() : to_fp(std::max(0.0f, d(rng))));
      }
      break;
    }
    case 4:
      v.assign(n, 0);
      break;
    default: {
      const uint32_t pool[4] = {0, to_fp(1.0f), to_fp(-2.5f), to_fp(1e-30f)};
      for (size_t i = 0; i < n; ++i) v.push_back(pool[rng() % 4]);
    }
  }
  return v;
}

void same_chunk(const ChunkV3& a, const ChunkV3& b) {
  CHECK(a.bytes == b.bytes);
  CHECK(a.crc == b.crc);
  CHECK(a.held_units == b.held_units);
  CHECK(a.expired_units == b.expired_units);
  CHECK(a.expired_bits == b.expired_bits);
  for (const BitField& f : kBitFields) {
    INFO(f.name);
    CHECK(a.bits.*f.member == b.bits.*f.member);
  }
}

// Decodes with both; true if they agree.
bool same_decode(const Config& c, const CodeTable& t, size_t n, uint32_t crc,
                 const std::vector<uint8_t>& bytes, size_t units, Status* status = nullptr) {
  std::vector<uint8_t> copy = bytes;  // exactly `units` words, so a read past them is caught
  copy.resize(units * 4);
  std::vector<uint32_t> ref(n, 0xDEADBEEF), fast(n, 0xFEEDFACE);
  const Status sr = decode_chunk_v3(c, t, n, crc, copy.data(), units, ref.data());
  const Status sf = decode_chunk_v3_fast(c, t, n, crc, copy.data(), units, fast.data());
  if (status) *status = sr;
  UNSCOPED_INFO("reference " << static_cast<int>(sr) << ", fast " << static_cast<int>(sf));
  return sr == sf && ref == fast;
}

// Alterations of a valid chunk that keep a CRC consistent with the altered bytes.
void check_altered(std::mt19937_64& rng, const Config& c, const CodeTable& t, size_t n,
                   const ChunkV3& ch, unsigned trials, unsigned* errors) {
  const size_t units = ch.bytes.size() / 4;
  for (unsigned i = 0; i < trials; ++i) {
    std::vector<uint8_t> p = ch.bytes;
    size_t u = units;
    const unsigned how = static_cast<unsigned>(rng() % 6);
    if (how <= 2 && !p.empty()) {  // flip 1 to 3 bits
      for (unsigned k = 0; k <= how; ++k) {
        const size_t bit = rng() % (p.size() * 8);
        p[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      }
    } else if (how == 3) {  // an extra word, zero or not
      const uint32_t w = rng() % 2 ? 0u : static_cast<uint32_t>(rng());
      p.resize(p.size() + 4);
      std::memcpy(p.data() + 4 * u, &w, 4);
      ++u;
    } else if (how == 4 && u) {  // a word fewer
      --u;
      p.resize(4 * u);
    } else if (!p.empty()) {  // one random word
      const uint32_t w = static_cast<uint32_t>(rng());
      std::memcpy(p.data() + 4 * (rng() % u), &w, 4);
    }
    Status s = Status::kOk;
    const uint32_t crc = crc32c(p.data(), u * 4);
    INFO("alteration " << how << " of " << units << " units");
    CHECK(same_decode(c, t, n, crc, p, u, &s));
    if (s != Status::kOk) ++*errors;
  }
}

TEST_CASE("Fast version 3 coder gives the reference's bytes and values", "[v3][fast]") {
  const Fp fp = GENERATE(Fp::kFp32, Fp::kBf16);
  const unsigned lanes = GENERATE(4u, 8u, 16u, 32u);
  const SimdSetting simd(GENERATE(true, false));
  std::mt19937_64 rng(Catch::rngSeed() * 31 + lanes + (fp == Fp::kBf16 ? 1000 : 0));
  const unsigned top_m = fp_format(fp).man_bits;
  unsigned errors = 0, expired = 0, escapes = 0, cannot = 0;
  for (int trial = 0; trial < 36; ++trial) {
    const unsigned kind = static_cast<unsigned>(trial % 6);
    // The adversarial kind with every mantissa bit and a long chunk: words expire.
    const bool slow = kind == 1 && trial % 4 == 1;
    unsigned m = trial < 2 ? (trial ? top_m : 0) : static_cast<unsigned>(rng() % (top_m + 1));
    m = slow ? top_m : m;
    const unsigned chunk = slow ? 1u << 13 : std::max(lanes, 1u << (rng() % 10 + 4));
    Config c = v3(fp, m, lanes, chunk);
    c.rounding = rng() % 2 ? Rounding::kNearestEven : Rounding::kTruncate;
    const size_t n = kind == 1 ? chunk : rng() % (chunk + 1);
    const std::vector<uint32_t> q = test::quantized(c, values(rng, fp, kind, chunk_lanes(c, n), n));
    // The chunk's own table, or one built from other values (with its own kind and size).
    CodeTable t = build_table(c, q.data(), q.size());
    if (trial % 3 == 2) {
      const std::vector<uint32_t> other =
          test::quantized(c, values(rng, fp, static_cast<unsigned>(rng() % 6), lanes, 500));
      t = build_table(c, other.data(), other.size());
    }
    INFO(to_string(c) << " n=" << n << " kind=" << kind << " trial=" << trial);
    ChunkV3 ref, fast;
    const uint64_t fallbacks = detail::v3_fast_fallbacks();
    const Status sr = encode_chunk_v3(c, t, q.data(), q.size(), &ref);
    const Status sf = encode_chunk_v3_fast(c, t, q.data(), q.size(), &fast);
    REQUIRE(sr == sf);
    same_chunk(ref, fast);
    if (sr != Status::kOk) {
      ++cannot;
      continue;
    }
    expired += ref.expired_units > 0;
    escapes += ref.bits.delta > 0;
    const size_t units = ref.bytes.size() / 4;
    Status s = Status::kBadCode;
    CHECK(same_decode(c, t, n, ref.crc, ref.bytes, units, &s));
    CHECK(s == Status::kOk);
    // A valid chunk is coded by the fast paths alone, both ways.
    CHECK(detail::v3_fast_fallbacks() == fallbacks);
    CHECK(same_decode(c, t, n, ref.crc ^ 1, ref.bytes, units));
    check_altered(rng, c, t, n, ref, 12, &errors);
  }
  CHECK(errors > 100);  // the alterations reach the decoders' checks
  CHECK(cannot > 0);    // tables from other values that cannot code the chunk
  if (lanes * (fp == Fp::kFp32 ? 2 : 1) >= 16) CHECK(expired > 0);  // fast lanes outrun a word
}

TEST_CASE("Fast version 3 coder agrees on expiry, with every lane count and both formats",
          "[v3][fast][refill]") {
  const SimdSetting simd(GENERATE(true, false));
  std::mt19937_64 rng(Catch::rngSeed() + 7);
  for (const Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned lanes : {4u, 8u, 16u, 32u}) {
      for (unsigned m : {0u, 3u, fp_format(fp).man_bits}) {
        const Config c = v3(fp, m, lanes, 1 << 14);
        const std::vector<uint32_t> q = test::quantized(c, values(rng, fp, 1, lanes, 1 << 14));
        const CodeTable t = build_table(c, q.data(), q.size());
        INFO(to_string(c));
        ChunkV3 ref, fast;
        REQUIRE(encode_chunk_v3(c, t, q.data(), q.size(), &ref) == Status::kOk);
        const uint64_t fallbacks = detail::v3_fast_fallbacks();
        REQUIRE(encode_chunk_v3_fast(c, t, q.data(), q.size(), &fast) == Status::kOk);
        same_chunk(ref, fast);
        if (lanes * (fp == Fp::kFp32 ? 2 : 1) >= 16 && m == fp_format(fp).man_bits) {
          CHECK(ref.expired_units > 0);
        }
        CHECK(same_decode(c, t, q.size(), ref.crc, ref.bytes, ref.bytes.size() / 4));
        CHECK(detail::v3_fast_fallbacks() == fallbacks);  // expiry needs no reference
        // A set bit in an expired word's skipped part (the last bit of a word) is bad_padding.
        unsigned errors = 0;
        for (size_t byte = 3; byte < ref.bytes.size(); byte += 4 * 17) {
          std::vector<uint8_t> p = ref.bytes;
          p[byte] ^= 0x80;
          Status s = Status::kOk;
          CHECK(same_decode(c, t, q.size(), crc32c(p.data(), p.size()), p, p.size() / 4, &s));
          errors += s != Status::kOk;
        }
        CHECK(errors > 0);
      }
    }
  }
}

TEST_CASE("Fast version 3 coder agrees on random words", "[v3][fast][errors]") {
  const SimdSetting simd(GENERATE(true, false));
  std::mt19937_64 rng(Catch::rngSeed() + 11);
  for (int trial = 0; trial < 3000; ++trial) {
    const Fp fp = trial % 2 ? Fp::kBf16 : Fp::kFp32;
    const unsigned lanes = 4u << (trial % 4);
    const Config c =
        v3(fp, static_cast<unsigned>(rng() % (fp_format(fp).man_bits + 1)), lanes, 1u << 12);
    // Some chunks of 16 lanes (the SIMD decoder's steps: trial % 4 == 2).
    const size_t n = trial % 8 == 2 ? 1024 + rng() % 2048 : rng() % 600 + 1;
    const std::vector<uint32_t> q = test::quantized(c, values(rng, fp, trial % 6, lanes, n));
    CodeTable t = build_table(c, q.data(), q.size());
    if (trial % 3 == 0) {  // any legal table: base up to 255, one or two codes, any sign
      t = CodeTable{};
      t.base = static_cast<unsigned>(rng() % 4 ? 100 + rng() % 156 : 255);
      t.sign = static_cast<SignMode>(rng() % 3);
      t.dist = static_cast<unsigned>(rng() % (kMaxDistSymbols + 1));
      t.two = rng() % 2;
      for (unsigned k = 0; k < t.codes(); ++k) {
        std::vector<uint64_t> hist(t.symbols());
        for (auto& h : hist) h = rng() % 3 ? rng() % 1000 : 0;
        const std::vector<unsigned> len = limited_code_lengths(hist, kMaxCodeBits);
        for (unsigned sym = 0; sym < t.symbols(); ++sym) {
          t.lengths[k][sym] = static_cast<uint8_t>(len[sym]);
        }
      }
      REQUIRE(check_table(t) == Status::kOk);
    }
    // Mostly zero words with a few bits set: lane bits that decode for a while.
    const size_t units = std::max<size_t>(min_chunk_units_v3(c, n), rng() % (n / 2 + 2));
    std::vector<uint8_t> p(units * 4, 0);
    for (auto& byte : p) byte = rng() % 4 ? 0 : static_cast<uint8_t>(rng());
    INFO(to_string(c) << " n=" << n << " units=" << units);
    CHECK(same_decode(c, t, n, crc32c(p.data(), p.size()), p, units));
  }
}

TEST_CASE("Fast version 3 decoder agrees on one-symbol changes of two-bit values",
          "[v3][fast][errors]") {
  // Every value takes two lane bits (D_0 = '0' and one mantissa bit, ZERO = '10', REP = '11'),
  // so the words sit at the same slots whatever the values are, and a flipped bit changes one
  // value's symbol: a REP of +0, a distance that repeats its predecessor, or another valid chunk.
  // Each of the decoder's symbol checks is then the only one that can see the change.
  const SimdSetting simd(GENERATE(true, false));
  const Fp fp = GENERATE(Fp::kFp32, Fp::kBf16);
  std::mt19937_64 rng(Catch::rngSeed() + 17);
  const Config c = v3(fp, 1, 16, 1u << 12);
  CodeTable t;
  t.base = 127;
  t.sign = SignMode::kPositive;
  t.dist = 1;
  t.lengths[0][kSymZero] = 2;
  t.lengths[0][kSymRep] = 2;
  t.lengths[0][kSymDist0] = 1;
  const FpFormat f = fp_format(fp);
  const uint32_t x0 = 127u << f.man_bits, x1 = x0 | (1u << (f.man_bits - 1));
  unsigned errors = 0, valid = 0;
  for (const bool two : {false, true}) {
    t.two = two;
    for (unsigned sym = 0; sym < kMaxSymbols; ++sym)
      t.lengths[1][sym] = two ? t.lengths[0][sym] : 0;
    REQUIRE(check_table(t) == Status::kOk);
    for (int trial = 0; trial < 8; ++trial) {
      const size_t n = 1024 + 16 * (rng() % 64);
      std::vector<uint32_t> q(n);
      for (auto& x : q) x = rng() % 3 == 0 ? 0u : rng() % 2 ? x0 : x1;
      ChunkV3 ch;
      REQUIRE(encode_chunk_v3(c, t, q.data(), n, &ch) == Status::kOk);
      const size_t units = ch.bytes.size() / 4;
      REQUIRE(same_decode(c, t, n, ch.crc, ch.bytes, units));
      for (int flip = 0; flip < 64; ++flip) {
        std::vector<uint8_t> p = ch.bytes;
        const size_t bit = rng() % (p.size() * 8);
        p[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
        Status s = Status::kOk;
        INFO("two=" << two << " n=" << n << " bit=" << bit);
        CHECK(same_decode(c, t, n, crc32c(p.data(), p.size()), p, units, &s));
        (s == Status::kOk ? valid : errors) += 1;
      }
    }
  }
  CHECK(errors > 50);
  CHECK(valid > 50);
}

TEST_CASE("Table counts with and without SIMD give the same tables", "[v3][fast][table]") {
  std::mt19937_64 rng(Catch::rngSeed() + 23);
  for (int trial = 0; trial < 48; ++trial) {
    const Fp fp = trial % 2 ? Fp::kBf16 : Fp::kFp32;
    const unsigned lanes = 1u << (trial % 6);
    const unsigned m = static_cast<unsigned>(rng() % (fp_format(fp).man_bits + 1));
    const Config c = v3(fp, m, lanes, 1u << (rng() % 6 + 9));
    const size_t n = rng() % 5000;
    const std::vector<uint32_t> q =
        test::quantized(c, values(rng, fp, static_cast<unsigned>(trial % 6), lanes, n));
    INFO(to_string(c) << " n=" << n);
    CodeTable with, without;
    {
      const SimdSetting on(true);
      with = build_table(c, q.data(), q.size());
    }
    {
      const SimdSetting off(false);
      without = build_table(c, q.data(), q.size());
    }
    CHECK(with == without);
  }
}

TEST_CASE("sfp::encode and sfp::decode of version 3 give the reference's chunks", "[v3][fast]") {
  std::mt19937_64 rng(Catch::rngSeed() + 3);
  const Config c = v3(Fp::kFp32, 23, 16, 1 << 12);
  const std::vector<uint32_t> v = values(rng, Fp::kFp32, 2, 16, 10000);
  const Encoded e = test::must_encode(c, v, 2);
  CHECK(test::must_decode(e, 2) == v);
  size_t at = 0;
  for (size_t k = 0; k < e.chunk_words.size(); ++k) {
    const size_t first = k * c.chunk, len = std::min<size_t>(c.chunk, v.size() - first);
    ChunkV3 ref;
    REQUIRE(encode_chunk_v3(c, e.table, v.data() + first, len, &ref) == Status::kOk);
    CHECK(std::equal(ref.bytes.begin(), ref.bytes.end(), e.payload.begin() + at));
    CHECK(ref.crc == e.chunk_crc[k]);
    at += ref.bytes.size();
  }
  CHECK(at == e.payload.size());
}

}  // namespace
}  // namespace sfp
