// SPDX-License-Identifier: Apache-2.0
//
// Format version 2: round trips, the refill rule against a reference decoder written from the
// spec, code lengths, CRC-32C, integrity under bit flips, raw chunks and decoder errors.
// Spec: docs/format.md, "Version 2".
#include <catch2/catch.hpp>
#include <cstring>
#include <numeric>
#include <random>

#include "codec_util.hpp"
#include "sfp/baselines.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp {
namespace {

Config v2(Fp fp) { return Config::lossless(fp, 2); }

using test::must_decode;
using test::must_encode;
using test::quantized;

// Every payload bit and every index bit is attributed to exactly one field.
void check_accounting(const Encoded& e) {
  const BitCounts& b = e.bits;
  CHECK(b.sign + b.zero + b.repeat + b.delta + b.header + b.mantissa + b.pad ==
        e.payload.size() * 8);
  CHECK(b.base == 0);
  CHECK(b.width == 0);
  CHECK(b.table == table_bits(e.table));
  CHECK(b.index + b.crc == chunk_count(e.config, e.values) * index_entry_bits(e.config));
  CHECK(b.total() <= max_encoded_bits(e.config, e.values));
}

TEST_CASE("A chunk gives every lane at least 32 values, down to one lane", "[v2][lanes]") {
  CHECK(chunk_lanes(16, 16384) == 16);
  CHECK(chunk_lanes(16, 512) == 16);
  CHECK(chunk_lanes(16, 511) == 8);
  CHECK(chunk_lanes(16, 64) == 2);
  CHECK(chunk_lanes(16, 63) == 1);
  CHECK(chunk_lanes(16, 1) == 1);
  CHECK(chunk_lanes(4, 100000) == 4);
}

TEST_CASE("CRC-32C of the standard check string is E3069283", "[v2][crc]") {
  const char* s = "123456789";
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(s), 9) == 0xE3069283u);
  // Continuing a CRC over two pieces equals the CRC of the whole.
  CHECK(crc32c(reinterpret_cast<const uint8_t*>(s) + 4, 5,
               crc32c(reinterpret_cast<const uint8_t*>(s), 4)) == 0xE3069283u);
  CHECK(crc32c(nullptr, 0) == 0u);
}

TEST_CASE("Code lengths: a prefix code within the limit, Huffman-optimal when the limit is loose",
          "[v2][code]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (int trial = 0; trial < 300; ++trial) {
    const size_t n = 1 + rng() % kMaxSymbols;
    std::vector<uint64_t> hist(n);
    for (auto& h : hist) h = rng() % 4 == 0 ? 0 : (uint64_t{1} << (rng() % 20)) + rng() % 1000;
    const auto len = limited_code_lengths(hist, kMaxCodeBits);
    size_t present = 0;
    uint64_t kraft = 0, cost = 0;
    for (size_t s = 0; s < n; ++s) {
      CHECK((len[s] == 0) == (hist[s] == 0));
      CHECK(len[s] <= kMaxCodeBits);
      present += hist[s] != 0;
      if (len[s]) kraft += uint64_t{1} << (kMaxCodeBits - len[s]);
      cost += hist[s] * len[s];
    }
    if (present >= 2) CHECK(kraft == (uint64_t{1} << kMaxCodeBits));  // complete code
    if (present == 1) CHECK(kraft == (uint64_t{1} << (kMaxCodeBits - 1)));
    // Unlimited Huffman: same total cost whenever its longest code fits.
    const auto huff = huffman_lengths(hist, 64);
    if (present >= 2 && *std::max_element(huff.begin(), huff.end()) <= kMaxCodeBits) {
      uint64_t hcost = 0;
      for (size_t s = 0; s < n; ++s) hcost += hist[s] * huff[s];
      CHECK(cost == hcost);
    }
  }
}

// Package-merge as the spec states it, each item carrying the count of every leaf inside it:
// the lengths are the leaves' counts over the first 2 n - 2 items of the last list.
std::vector<unsigned> package_merge_by_items(const std::vector<uint64_t>& hist, unsigned max_bits) {
  std::vector<unsigned> len(hist.size(), 0), present;
  for (unsigned s = 0; s < hist.size(); ++s) {
    if (hist[s]) present.push_back(s);
  }
  const size_t n = present.size();
  if (n == 0) return len;
  if (n == 1) {
    len[present[0]] = 1;
    return len;
  }
  std::stable_sort(present.begin(), present.end(),
                   [&](unsigned a, unsigned b) { return hist[a] < hist[b]; });
  struct Item {
    uint64_t weight;
    std::vector<unsigned> count;
  };
  std::vector<Item> leaves;
  for (size_t i = 0; i < n; ++i) {
    leaves.push_back({hist[present[i]], std::vector<unsigned>(n, 0)});
    leaves.back().count[i] = 1;
  }
  std::vector<Item> list = leaves;
  for (unsigned level = 1; level < max_bits; ++level) {
    std::vector<Item> packages, merged;
    for (size_t i = 0; i + 1 < list.size(); i += 2) {
      Item p{list[i].weight + list[i + 1].weight, list[i].count};
      for (size_t k = 0; k < n; ++k) p.count[k] += list[i + 1].count[k];
      packages.push_back(p);
    }
    size_t a = 0, b = 0;
    while (a < n || b < packages.size()) {
      const bool leaf = b == packages.size() || (a < n && leaves[a].weight <= packages[b].weight);
      merged.push_back(leaf ? leaves[a++] : packages[b++]);
    }
    list = merged;
  }
  for (size_t i = 0; i < 2 * n - 2; ++i) {
    for (size_t k = 0; k < n; ++k) len[present[k]] += list[i].count[k];
  }
  return len;
}

TEST_CASE("Code lengths equal package-merge over items, ties included", "[v2][code]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (int trial = 0; trial < 2000; ++trial) {
    const size_t n = 1 + rng() % kMaxSymbols;
    std::vector<uint64_t> hist(n);
    // Small counts make many equal weights among leaves and packages.
    const unsigned spread = trial % 3 == 0 ? 4 : trial % 3 == 1 ? 40 : 1u << 20;
    for (auto& h : hist) h = rng() % 3 == 0 ? 0 : 1 + rng() % spread;
    size_t present = 0;
    for (uint64_t h : hist) present += h != 0;
    unsigned min_bits = 1;
    while ((size_t{1} << min_bits) < present) ++min_bits;
    for (unsigned limit = min_bits; limit <= kMaxCodeBits; ++limit) {
      INFO("trial " << trial << ", limit " << limit);
      REQUIRE(limited_code_lengths(hist, limit) == package_merge_by_items(hist, limit));
    }
  }
}

TEST_CASE("Code lengths of a skewed histogram respect the limit", "[v2][code]") {
  std::vector<uint64_t> fib = {1, 1};
  while (fib.size() < 30) fib.push_back(fib[fib.size() - 1] + fib[fib.size() - 2]);
  for (unsigned limit : {5u, 8u, kMaxCodeBits}) {
    const auto len = limited_code_lengths(fib, limit);
    uint64_t kraft = 0;
    for (unsigned l : len) {
      REQUIRE(l >= 1);
      REQUIRE(l <= limit);
      kraft += uint64_t{1} << (limit - l);
    }
    CHECK(kraft == (uint64_t{1} << limit));
  }
}

TEST_CASE("v2: every BF16 pattern round-trips losslessly in every lane position",
          "[v2][roundtrip]") {
  std::vector<uint32_t> all(65536);
  std::iota(all.begin(), all.end(), 0u);
  for (unsigned lanes : {4u, 16u, 32u}) {
    Config c = v2(Fp::kBf16);
    c.group = lanes;
    for (unsigned shift = 0; shift < lanes; ++shift) {
      std::vector<uint32_t> v(shift, 0x3F80);  // pushes pattern p into lane (p + shift) mod L
      v.insert(v.end(), all.begin(), all.end());
      const Encoded e = must_encode(c, v);
      REQUIRE(must_decode(e) == v);
      check_accounting(e);
    }
  }
}

TEST_CASE("v2: FP32 random values and every special class round-trip losslessly",
          "[v2][roundtrip]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (unsigned lanes : {4u, 8u, 16u, 32u}) {
    for (unsigned chunk : {lanes, 64u, 1024u, 16384u}) {
      Config c = v2(Fp::kFp32);
      c.group = lanes;
      c.chunk = chunk;
      auto v = test::random_values(rng, Fp::kFp32, 5000 + rng() % 100);
      const auto corners = test::corners(Fp::kFp32);
      v.insert(v.begin() + 7, corners.begin(), corners.end());
      const Encoded e = must_encode(c, v);
      INFO(to_string(c));
      REQUIRE(must_decode(e) == v);
      check_accounting(e);
    }
  }
}

TEST_CASE("v2: lossy decode gives Q_m of the input for every m of both formats and roundings",
          "[v2][roundtrip]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned m = 0; m <= fp_format(fp).man_bits; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        Config c = v2(fp);
        c.man_bits = m;
        c.rounding = r;
        c.chunk = 512;
        auto v = test::random_values(rng, fp, 3000);
        const auto corners = test::corners(fp);
        v.insert(v.end(), corners.begin(), corners.end());
        const Encoded e = must_encode(c, v);
        INFO(to_string(c));
        REQUIRE(must_decode(e) == quantized(c, v));
        check_accounting(e);
      }
    }
  }
}

TEST_CASE("v2: stream edges: empty, one value, all zero, all equal, lengths off the lane count",
          "[v2][roundtrip]") {
  const Config c = v2(Fp::kFp32);
  for (size_t n : {0u, 1u, 15u, 16u, 17u, 16383u, 16384u, 16385u, 40000u}) {
    const bool big = n % c.chunk == 0 || n % c.chunk >= 1000;  // tiny chunks are stored raw
    std::vector<uint32_t> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = 0x3F800000u + static_cast<uint32_t>(i * 7919 % 65536);
    REQUIRE(must_decode(must_encode(c, v)) == v);
    const std::vector<uint32_t> zeros(n, 0);
    const Encoded z = must_encode(c, zeros);
    REQUIRE(must_decode(z) == zeros);
    if (big) CHECK(z.bits.zero == n);  // one 1-bit codeword per value, nothing else
    const std::vector<uint32_t> same(n, 0xC0490FDBu);
    const Encoded s = must_encode(c, same);
    REQUIRE(must_decode(s) == same);
    if (big) CHECK(s.bits.sign == 0);  // one sign for the tensor (tiny chunks go raw)
  }
}

TEST_CASE("v2: a tensor of one sign spends no sign bits", "[v2][sign]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (uint32_t sign : {0u, 0x80000000u}) {
    auto v = test::random_values(rng, Fp::kFp32, 20000);
    for (auto& x : v) x = x == 0 ? 0 : (x & 0x7FFFFFFFu) | sign;
    const Encoded e = must_encode(v2(Fp::kFp32), v);
    CHECK(e.bits.sign == 0);
    CHECK(e.table.sign == (sign ? SignMode::kNegative : SignMode::kPositive));
    REQUIRE(must_decode(e) == v);
  }
}

TEST_CASE("v2: incompressible chunks are stored raw within the stated bound", "[v2][raw]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned m : {0u, 3u, fp_format(fp).man_bits}) {
      Config c = v2(fp);
      c.man_bits = m;
      std::vector<uint32_t> v(40000);
      for (auto& x : v) x = static_cast<uint32_t>(rng()) & (fp == Fp::kFp32 ? ~0u : 0xFFFFu);
      const Encoded e = must_encode(c, v);
      REQUIRE(must_decode(e) == quantized(c, v));
      check_accounting(e);
      INFO(to_string(c));
      // Random exponents cost about 8 bits either way: raw chunks win or tie on every chunk.
      for (size_t i = 0; i < e.chunk_words.size(); ++i) {
        CHECK(e.chunk_words[i] <= max_chunk_bits(c, c.chunk) / kV2WordBits);
      }
    }
  }
}

TEST_CASE("v2: threads give the same stream and the same values", "[v2][threads]") {
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = v2(Fp::kFp32);
  c.chunk = 1024;
  const auto v = test::random_values(rng, Fp::kFp32, 50000);
  const Encoded one = must_encode(c, v, 1), two = must_encode(c, v, 2), five = must_encode(c, v, 5);
  CHECK(one.payload == two.payload);
  CHECK(one.payload == five.payload);
  CHECK(one.chunk_crc == two.chunk_crc);
  CHECK(must_decode(one, 3) == v);
}

// ---- Reference decoder written from the spec's pseudocode ----------------------------------

// A canonical code of a table as (length, codeword) per symbol, from the spec's rule.
std::vector<std::pair<unsigned, uint32_t>> canonical(const CodeTable& t, bool prev_zero) {
  const uint8_t* lengths = t.code(prev_zero);
  std::vector<std::pair<unsigned, uint32_t>> code(t.symbols(), {0, 0});
  uint32_t next = 0;
  unsigned last = 0;
  for (unsigned len = 1; len <= kMaxCodeBits; ++len) {
    for (unsigned s = 0; s < t.symbols(); ++s) {
      if (lengths[s] != len) continue;
      next <<= len - last;
      last = len;
      code[s] = {len, next++};
    }
  }
  return code;
}

// Decodes one coded chunk bit by bit, as the spec's pseudocode does, and records which lane
// took each word of the stream.
struct Reference {
  std::vector<uint32_t> values;
  std::vector<unsigned> word_lane;  // lane of each word taken, in order
};

Reference reference_decode(const Config& c, const CodeTable& t, size_t n,
                           const std::vector<uint8_t>& chunk) {
  const FpFormat f = fp_format(c.fp);
  const unsigned lanes = chunk_lanes(c.group, n);  // Spec: "Lanes of a chunk"
  const auto code0 = canonical(t, false), code1 = canonical(t, true);
  std::vector<int> prev_zero(lanes, 1);
  const auto word = [&](size_t j) {
    uint32_t w = 0;
    std::memcpy(&w, chunk.data() + 4 * j, 4);
    return w;
  };
  const uint32_t lane_words = word(0);
  std::vector<std::vector<int>> buf(lanes);  // each lane's bits, oldest first
  size_t taken = 0;
  size_t plane_bit = (1 + size_t{lane_words}) * 32;
  const auto plane_get = [&](unsigned k) {
    uint32_t v = 0;
    for (unsigned i = 0; i < k; ++i, ++plane_bit) {
      v |= ((chunk[plane_bit / 8] >> (plane_bit % 8)) & 1u) << i;
    }
    return v;
  };
  Reference r;
  r.values.assign(n, 0);
  for (size_t i = 0; i < n; ++i) {
    const unsigned l = static_cast<unsigned>(i % lanes);
    auto& b = buf[l];
    if (b.size() < kV2LaneRefillBits) {
      const uint32_t w = taken < lane_words ? word(1 + taken) : 0;
      ++taken;
      for (unsigned k = 0; k < 32; ++k) b.push_back((w >> k) & 1);
      r.word_lane.push_back(l);
    }
    const auto get = [&]() {
      REQUIRE(!b.empty());
      const int bit = b.front();
      b.erase(b.begin());
      return static_cast<uint32_t>(bit);
    };
    // Read codeword bits one at a time until they match a codeword (MSB first).
    const auto& code = prev_zero[l] ? code1 : code0;
    uint32_t acc = 0;
    unsigned sym = ~0u;
    for (unsigned len = 1; len <= kMaxCodeBits && sym == ~0u; ++len) {
      acc = (acc << 1) | get();
      for (unsigned s = 0; s < t.symbols(); ++s) {
        if (code[s].first == len && code[s].second == acc) sym = s;
      }
    }
    REQUIRE(sym != ~0u);
    prev_zero[l] = sym == kSymZero;
    if (sym == kSymZero) continue;
    if (sym == kSymRep) {
      r.values[i] = i >= 1 ? r.values[i - 1] : 0;
      continue;
    }
    uint32_t exp = 0, man = 0;
    if (sym == kSymEsc) {
      for (unsigned k = 0; k < 8; ++k) exp |= get() << k;
      if (c.man_bits == 0) man = get() << (f.man_bits - 1);
    } else {
      exp = t.base - (sym - kSymDist0);
    }
    uint32_t sign = t.sign == SignMode::kNegative ? 1 : 0;
    if (t.sign == SignMode::kMixed) sign = plane_get(1);
    if (c.man_bits) man = plane_get(c.man_bits) << (f.man_bits - c.man_bits);
    r.values[i] = merge({sign, exp, man}, c.fp);
  }
  return r;
}

TEST_CASE("v2: the encoder's word order is the order a decoder following the refill rule asks",
          "[v2][refill]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (int trial = 0; trial < 40; ++trial) {
    const Fp fp = trial % 2 ? Fp::kBf16 : Fp::kFp32;
    Config c = v2(fp);
    c.group = 4u << (trial % 4);
    c.man_bits = static_cast<unsigned>(rng() % (fp_format(fp).man_bits + 1));
    const size_t n = 1 + rng() % 3000;
    c.chunk = 4096;
    auto v = test::random_values(rng, fp, n);
    // Some repeats so REP codewords appear.
    for (size_t i = 1; i < n; ++i) {
      if (rng() % 5 == 0) v[i] = v[i - 1];
    }
    const auto q = quantized(c, v);
    const CodeTable t = build_table(c, q.data(), n);
    const ChunkV2 ch = encode_chunk_v2(c, t, q.data(), n);
    if (ch.raw) continue;
    const Reference ref = reference_decode(c, t, n, ch.bytes);
    INFO(to_string(c) << " n=" << n);
    REQUIRE(ref.values == q);
    // Rebuild each lane's bit sequence from the values and the canonical code, and check that
    // stream word j is the next 32 bits of the lane the reference decoder gave it to.
    const auto code0 = canonical(t, false), code1 = canonical(t, true);
    const unsigned lanes = chunk_lanes(c.group, n);
    std::vector<std::vector<int>> lane_bits(lanes);
    std::vector<int> lane_prev_zero(lanes, 1);
    const FpFormat f = fp_format(fp);
    for (size_t i = 0; i < n; ++i) {
      const size_t l = i % lanes;
      auto& b = lane_bits[l];
      const Fields x = split(q[i], fp);
      const uint8_t* lengths = t.code(lane_prev_zero[l] != 0);
      const auto& code = lane_prev_zero[l] ? code1 : code0;
      unsigned sym;
      if (q[i] == 0) {
        sym = kSymZero;
      } else if (i >= 1 && q[i - 1] == q[i] && lengths[kSymRep]) {
        sym = kSymRep;
      } else if (x.exp != f.exp_max() && x.exp <= t.base && t.base - x.exp < t.dist &&
                 lengths[kSymDist0 + t.base - x.exp]) {
        sym = kSymDist0 + t.base - x.exp;
      } else {
        sym = kSymEsc;
      }
      lane_prev_zero[l] = sym == kSymZero;
      for (unsigned k = code[sym].first; k-- > 0;) b.push_back((code[sym].second >> k) & 1);
      if (sym == kSymEsc) {
        for (unsigned k = 0; k < 8; ++k) b.push_back((x.exp >> k) & 1);
        if (c.man_bits == 0) b.push_back(x.man >> (f.man_bits - 1));
      }
    }
    uint32_t lane_words;
    std::memcpy(&lane_words, ch.bytes.data(), 4);
    REQUIRE(lane_words <= ref.word_lane.size());
    std::vector<size_t> next(lanes, 0);
    for (size_t j = 0; j < ref.word_lane.size(); ++j) {
      const unsigned l = ref.word_lane[j];
      uint32_t want = 0;
      for (unsigned k = 0; k < 32; ++k) {
        const size_t at = next[l] * 32 + k;
        if (at < lane_bits[l].size()) want |= static_cast<uint32_t>(lane_bits[l][at]) << k;
      }
      ++next[l];
      uint32_t got = 0;
      if (j < lane_words) std::memcpy(&got, ch.bytes.data() + 4 * (1 + j), 4);
      INFO("word " << j << " lane " << l);
      REQUIRE(got == want);
    }
  }
}

// ---- Integrity and errors ----------------------------------------------------------------

TEST_CASE("v2: every single bit flip in the payload and the index is an error", "[v2][integrity]") {
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = v2(Fp::kFp32);
  c.chunk = 256;
  c.man_bits = 3;
  const auto v = test::random_values(rng, Fp::kFp32, 700);
  const Encoded e = must_encode(c, v);
  std::vector<uint32_t> out(v.size());
  uint64_t flips = 0;
  for (size_t bit = 0; bit < e.payload.size() * 8; ++bit) {
    Encoded x = e;
    x.payload[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
    CHECK(decode(x, out.data()) == Status::kCrc);
    ++flips;
  }
  for (size_t i = 0; i < e.chunk_crc.size(); ++i) {
    for (unsigned bit = 0; bit < 32; ++bit) {
      Encoded x = e;
      x.chunk_crc[i] ^= 1u << bit;
      CHECK(decode(x, out.data()) == Status::kCrc);
    }
    Encoded x = e;
    x.chunk_raw[i] ^= 1;
    CHECK(decode(x, out.data()) == Status::kCrc);
    for (unsigned bit = 0; bit < 32; ++bit) {
      Encoded y = e;
      y.chunk_words[i] ^= 1u << bit;
      CHECK(decode(y, out.data()) != Status::kOk);
    }
  }
  CHECK(flips > 1000);
}

TEST_CASE("v2: decoder errors: each malformed chunk gives its spec code", "[v2][errors]") {
  Config c = v2(Fp::kBf16);
  c.group = 4;
  c.chunk = 64;
  std::vector<uint32_t> v(64);
  for (size_t i = 0; i < v.size(); ++i) v[i] = i % 3 ? 0x3F80 + static_cast<uint32_t>(i) : 0;
  const CodeTable t = build_table(c, v.data(), v.size());
  const ChunkV2 ch = encode_chunk_v2(c, t, v.data(), v.size());
  REQUIRE(!ch.raw);
  std::vector<uint32_t> out(64);
  const auto run = [&](std::vector<uint8_t> bytes) {
    const uint8_t mode = 0;
    const uint32_t crc = crc32c(bytes.data(), bytes.size(), crc32c(&mode, 1));
    return decode_chunk_v2(c, t, v.size(), false, crc, bytes.data(), bytes.size() / 4, out.data());
  };
  REQUIRE(run(ch.bytes) == Status::kOk);
  CHECK(out == v);
  {  // a wrong CRC
    const uint8_t mode = 0;
    const uint32_t crc = crc32c(ch.bytes.data(), ch.bytes.size(), crc32c(&mode, 1));
    CHECK(decode_chunk_v2(c, t, v.size(), false, crc ^ 1, ch.bytes.data(), ch.bytes.size() / 4,
                          out.data()) == Status::kCrc);
    CHECK(std::all_of(out.begin(), out.end(), [](uint32_t x) { return x == 0; }));
  }
  {  // lane word count beyond the chunk
    auto b = ch.bytes;
    b[0] = 0xFF;
    b[1] = 0xFF;
    CHECK(run(b) == Status::kTruncated);
  }
  {  // one word too many at the end
    auto b = ch.bytes;
    b.insert(b.end(), 4, 0);
    CHECK(run(b) == Status::kLength);
  }
  {  // a plane cut short
    auto b = ch.bytes;
    b.resize(b.size() - 4);
    CHECK(run(b) == Status::kTruncated);
  }
  {  // non-zero plane padding
    auto b = ch.bytes;
    b.back() |= 0x80;
    CHECK(run(b) == Status::kBadPadding);
  }
  {  // a table whose lengths leave codewords unused, and lane bits that hit one
    CodeTable u = t;
    for (unsigned k = 0; k < 2; ++k) {
      for (unsigned s = 0; s < u.symbols(); ++s) {
        if (u.lengths[k][s] == 1) u.lengths[k][s] = 2;  // frees half of the code space
      }
    }
    std::vector<uint8_t> b(ch.bytes.size(), 0xFF);
    const uint32_t one = 1;
    std::memcpy(b.data(), &one, 4);
    const uint8_t mode = 0;
    const uint32_t crc = crc32c(b.data(), b.size(), crc32c(&mode, 1));
    const Status s =
        decode_chunk_v2(c, u, v.size(), false, crc, b.data(), b.size() / 4, out.data());
    CHECK((s == Status::kBadCode || s == Status::kTruncated || s == Status::kExpRange));
  }
  {  // an over-subscribed table
    Encoded e = must_encode(c, v);
    e.table.lengths[0][kSymZero] = 1;
    e.table.lengths[0][kSymRep] = 1;
    e.table.lengths[0][kSymEsc] = 1;
    CHECK(decode(e, out.data()) == Status::kBadTable);
  }
}

TEST_CASE("v2: at m = 0 only a NaN keeps its stored mantissa bit (fuzzer finding)",
          "[v2][errors]") {
  // tests/fuzz/corpus/lanes/m0-escape-quiet-bit.bin: an escaped finite exponent with the quiet
  // bit set decoded to a value that is no Q_0 value, so re-encoding it changed it.
  Config c = v2(Fp::kFp32);
  c.man_bits = 0;
  CodeTable t;
  t.sign = SignMode::kPositive;
  t.lengths[0][kSymEsc] = 1;  // the only codeword: ESC = "0"
  uint32_t out = 0xDEADBEEF;
  const auto run = [&](bool raw, uint32_t lane_word) {
    std::vector<uint8_t> b;
    const auto put = [&](uint32_t w) {
      for (int k = 0; k < 4; ++k) b.push_back(static_cast<uint8_t>(w >> (8 * k)));
    };
    if (!raw) put(1);  // N = 1 lane word
    put(lane_word);
    const uint8_t mode = raw ? 1 : 0;
    const uint32_t crc = crc32c(b.data(), b.size(), crc32c(&mode, 1));
    return decode_chunk_v2(c, t, 1, raw, crc, b.data(), b.size() / 4, &out);
  };
  // Coded: codeword 0, exponent 127 in bits 1-8, the quiet bit in bit 9.
  CHECK(run(false, 127u << 1) == Status::kOk);
  CHECK(out == 0x3F800000u);
  CHECK(run(false, (127u << 1) | (1u << 9)) == Status::kBadCode);
  CHECK(out == 0u);
  CHECK(run(false, (255u << 1) | (1u << 9)) == Status::kOk);
  CHECK(out == 0x7FC00000u);  // the quiet NaN
  // Raw: sign, exponent, one mantissa bit.
  CHECK(run(true, 127u << 1) == Status::kOk);
  CHECK(run(true, (127u << 1) | (1u << 9)) == Status::kBadCode);
  CHECK(run(true, (255u << 1) | (1u << 9)) == Status::kOk);
  CHECK(out == 0x7FC00000u);
}

TEST_CASE("v2: the code table serializes and rejects what the spec forbids", "[v2][table]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const auto v = test::random_values(rng, Fp::kFp32, 5000);
  const CodeTable t = build_table(v2(Fp::kFp32), v.data(), v.size());
  const auto bytes = pack_table(t);
  CHECK(bytes.size() == (table_bits(t) + 7) / 8);
  CodeTable back;
  size_t used = 0;
  REQUIRE(unpack_table(bytes.data(), bytes.size(), &back, &used) == Status::kOk);
  CHECK(back == t);
  CHECK(used == bytes.size());
  CHECK(unpack_table(bytes.data(), 1, &back, &used) == Status::kTruncated);
  auto bad = bytes;
  bad[1] |= 0xFC;  // distance count 63 > 48
  CHECK(unpack_table(bad.data(), bad.size(), &back, &used) == Status::kBadTable);
}

TEST_CASE("v2: hostile streams never crash the decoder", "[v2][errors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  Config c = v2(Fp::kFp32);
  c.chunk = 128;
  const auto v = test::random_values(rng, Fp::kFp32, 1000);
  const Encoded e = must_encode(c, v);
  std::vector<uint32_t> out(v.size());
  for (int trial = 0; trial < 2000; ++trial) {
    Encoded x = e;
    for (auto& b : x.payload) {
      if (rng() % 8 == 0) b = static_cast<uint8_t>(rng());
    }
    // Recompute the CRCs so the decoder goes past the check into the corrupted words.
    size_t at = 0;
    for (size_t i = 0; i < x.chunk_words.size(); ++i) {
      const uint8_t mode = x.chunk_raw[i];
      x.chunk_crc[i] = crc32c(x.payload.data() + at, x.chunk_words[i] * 4u, crc32c(&mode, 1));
      at += x.chunk_words[i] * 4u;
    }
    const Status s = decode(x, out.data());
    CHECK(static_cast<unsigned>(s) <= static_cast<unsigned>(Status::kBadCode));
  }
}

TEST_CASE("v2: the configuration word round-trips and rejects reserved bits", "[v2][config]") {
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    for (unsigned lanes : {4u, 8u, 16u, 32u}) {
      Config c = v2(fp);
      c.group = lanes;
      c.man_bits = 2;
      c.rounding = Rounding::kNearestEven;
      Config back;
      REQUIRE(unpack_config(pack_config(c), &back) == Status::kOk);
      CHECK(back == c);
      CHECK(back.version == 2);
    }
  }
  CHECK(pack_config(v2(Fp::kFp32)) == 0x0107042Eu);
  Config back;
  CHECK(unpack_config(0x0107042Eu | (1u << 7), &back) == Status::kBadConfig);
  CHECK(unpack_config(0x0107042Eu | (1u << 26), &back) == Status::kBadConfig);
  CHECK(unpack_config(0x0307042Eu, &back) == Status::kBadConfig);  // v = 3 is reserved
  CHECK(unpack_config(0x0107012Eu, &back) == Status::kBadConfig);  // logL = 1
}

}  // namespace
}  // namespace sfp
