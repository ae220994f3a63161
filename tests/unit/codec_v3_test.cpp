// SPDX-License-Identifier: Apache-2.0
//
// Format version 3: round trips, the refill rule with expiry against a reference decoder written
// from the spec, the encoder's working set, the size bounds, shared tables, and the decoder's
// errors on altered chunks. Spec: docs/format.md, "Version 3".
#include <catch2/catch.hpp>
#include <cstring>
#include <deque>
#include <random>

#include "codec_util.hpp"
#include "sfp/codec.hpp"
#include "sfp/quantize.hpp"
#include "test_data.hpp"

namespace sfp {
namespace {

using test::must_decode;
using test::must_encode;
using test::quantized;

Config v3(Fp fp, unsigned m, unsigned lanes, unsigned chunk) {
  Config c = Config::lossless(fp, 3);
  c.man_bits = m;
  c.group = lanes;
  c.chunk = chunk;
  return c;
}

// Every payload bit is attributed to exactly one field, the index to length and CRC.
void check_accounting(const Encoded& e) {
  const BitCounts& b = e.bits;
  CHECK(b.sign + b.zero + b.repeat + b.delta + b.mantissa + b.pad == e.payload.size() * 8);
  CHECK(b.header == 0);
  CHECK(b.table == table_section_bits(e.table, e.table_ref));
  CHECK(b.index + b.crc == chunk_count(e.config, e.values) * index_entry_bits(e.config));
  CHECK(b.total() <= max_encoded_bits(e.config, e.values));
}

// ---- A reference decoder written from the spec text, one bit at a time ----------------------

struct RefCode {
  std::vector<std::pair<uint32_t, unsigned>> word;  // per symbol: codeword, length (0: none)
};

// Spec: "Canonical codewords".
RefCode canonical(const CodeTable& t, bool prev_zero) {
  const uint8_t* len = t.code(prev_zero);
  RefCode r;
  r.word.assign(t.symbols(), {0, 0});
  uint32_t code = 0;
  unsigned last = 0;
  for (unsigned l = 1; l <= 12; ++l) {
    for (unsigned s = 0; s < t.symbols(); ++s) {
      if (len[s] != l) continue;
      code <<= l - last;
      last = l;
      r.word[s] = {code, l};
      ++code;
    }
  }
  return r;
}

// Spec: "Version 3 refill rule" and "Version 3 lane bits". Returns false on any error.
bool reference_decode(const Config& c, const CodeTable& t, const uint8_t* units, uint64_t n_units,
                      uint64_t n, std::vector<uint32_t>* out) {
  const FpFormat f = fp_format(c.fp);
  const unsigned lanes = chunk_lanes(c, n), m = c.man_bits, s_bits = t.sign == SignMode::kMixed;
  const RefCode codes[2] = {canonical(t, false), canonical(t, true)};
  struct Lane {
    std::deque<int> buf;
    uint64_t pos = 0;
    std::vector<uint64_t> slot;
    bool prev_zero = true;
  };
  std::vector<Lane> lane(lanes);
  uint64_t next = 0;
  uint32_t prev = 0;
  out->assign(n, 0);
  for (uint64_t r = 0; r * lanes < n; ++r) {
    const uint64_t start = next;
    for (unsigned l = 0; l < lanes && r * lanes + l < n; ++l) {
      Lane& ln = lane[l];
      for (uint64_t k = ln.slot.size(); k-- > 0;) {
        if (ln.slot[k] + 512 > start + 2 * lanes) continue;
        while (ln.pos < 32 * (k + 1)) {
          if (ln.buf.front()) return false;
          ln.buf.pop_front();
          ++ln.pos;
        }
        break;
      }
      for (int refill = 0; refill < 2 && ln.buf.size() < 44; ++refill) {
        uint32_t u = 0;
        if (next < n_units) std::memcpy(&u, units + 4 * next, 4);
        for (unsigned i = 0; i < 32; ++i) ln.buf.push_back((u >> i) & 1);
        ln.slot.push_back(next++);
      }
      const auto get = [&](unsigned bits) {  // a field, LSB first
        uint32_t v = 0;
        for (unsigned i = 0; i < bits; ++i) {
          v |= static_cast<uint32_t>(ln.buf.front()) << i;
          ln.buf.pop_front();
          ++ln.pos;
        }
        return v;
      };
      const RefCode& code = codes[t.two && ln.prev_zero ? 1 : 0];
      uint32_t word = 0;
      unsigned sym = ~0u;
      for (unsigned len = 1; len <= 12 && sym == ~0u; ++len) {
        word = (word << 1) | get(1);  // MSB first
        for (unsigned s = 0; s < code.word.size(); ++s) {
          if (code.word[s].second == len && code.word[s].first == word) sym = s;
        }
      }
      if (sym == ~0u) return false;
      uint32_t v = 0;
      if (sym == kSymZero) {
        v = 0;
      } else if (sym == kSymRep) {
        v = prev;
      } else {
        uint32_t exp = 0, man = 0;
        if (sym == kSymEsc) {
          exp = get(8);
          if (m == 0) man = get(1) << (f.man_bits - 1);
          if (m == 0 && man && exp != f.exp_max()) return false;
        } else {
          if (sym - kSymDist0 > t.base) return false;
          exp = t.base - (sym - kSymDist0);
        }
        const uint32_t entry = get(s_bits + m);
        const uint32_t sign = s_bits ? entry & 1u : t.sign == SignMode::kNegative;
        man |= (entry >> s_bits) << (f.man_bits - m);
        v = merge({sign, exp, man}, c.fp);
      }
      ln.prev_zero = sym == kSymZero;
      (*out)[r * lanes + l] = prev = v;
    }
  }
  for (Lane& ln : lane) {
    for (int b : ln.buf) {
      if (b) return false;
    }
  }
  return next >= n_units;
}

TEST_CASE("Version 3 round trips Q_m of every input, and a reference decoder agrees",
          "[v3][roundtrip]") {
  const Fp fp = GENERATE(Fp::kFp32, Fp::kBf16);
  const unsigned lanes = GENERATE(4u, 16u, 32u);
  std::mt19937_64 rng(Catch::rngSeed() + lanes);
  for (int trial = 0; trial < 40; ++trial) {
    const unsigned m = static_cast<unsigned>(rng() % (fp_format(fp).man_bits + 1));
    const unsigned chunk = std::max(lanes, 1u << (rng() % 12 + 2));
    Config c = v3(fp, m, lanes, chunk);
    c.rounding = rng() % 2 ? Rounding::kNearestEven : Rounding::kTruncate;
    std::vector<uint32_t> v = test::random_values(rng, fp, rng() % 3000);
    if (trial % 5 == 0) {
      for (uint32_t x : test::corners(fp)) v.push_back(x);
    }
    INFO(to_string(c) << " n=" << v.size());
    const Encoded e = must_encode(c, v);
    check_accounting(e);
    const std::vector<uint32_t> q = quantized(c, v);
    CHECK(must_decode(e) == q);
    CHECK(e.held_units < kV3WindowWords);
    // Each chunk through the reference decoder.
    uint64_t at = 0;
    for (size_t k = 0; k < e.chunk_words.size(); ++k) {
      const uint64_t first = k * uint64_t{c.chunk};
      const uint64_t len = std::min<uint64_t>(c.chunk, v.size() - first);
      std::vector<uint32_t> ref;
      REQUIRE(reference_decode(c, e.table, e.payload.data() + at, e.chunk_words[k], len, &ref));
      CHECK(std::equal(ref.begin(), ref.end(), q.begin() + static_cast<std::ptrdiff_t>(first)));
      CHECK(e.chunk_words[k] >= min_chunk_units_v3(c, len));
      CHECK(e.chunk_words[k] <= max_chunk_units_v3(c, len));
      at += e.chunk_words[k] * 4;
    }
  }
}

TEST_CASE("Version 3 is the default format, with its own configuration word", "[v3]") {
  const Config c = Config::lossless(Fp::kFp32);
  CHECK(c.version == 3);
  CHECK(pack_config(c) == 0x0207042Eu);
  Config back;
  REQUIRE(unpack_config(0x0207042Eu, &back) == Status::kOk);
  CHECK(back == c);
  CHECK(unpack_config(0x0307042Eu, &back) == Status::kBadConfig);  // v = 3 is reserved
}

// One lane of 1-bit codewords while every other lane escapes with a random FP32 value at every
// step: the slow lane's units stay unfinished while the others take units fast.
std::vector<uint32_t> adversarial(std::mt19937_64& rng, unsigned lanes, size_t n) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = i % lanes == 0 ? 0u : static_cast<uint32_t>(rng());
  return v;
}

TEST_CASE("Version 3 encoder holds fewer than V3WindowUnits units, whatever the input and C",
          "[v3][working_set]") {
  const unsigned lanes = GENERATE(4u, 8u, 16u, 32u);
  std::mt19937_64 rng(Catch::rngSeed() + lanes);
  for (unsigned chunk : {1u << 12, 1u << 16, 1u << 20}) {
    const Config c = v3(Fp::kFp32, 23, lanes, chunk);
    const std::vector<uint32_t> v = adversarial(rng, lanes, std::min<size_t>(chunk, 1 << 17));
    INFO(to_string(c));
    const Encoded e = must_encode(c, v);
    CHECK(e.held_units <= kV3WindowWords - 1);
    CHECK(must_decode(e) == v);
    if (lanes >= 8 && v.size() >= 4096) CHECK(e.expired_units > 0);  // the case expiry bounds
  }
}

TEST_CASE("Version 3 expiry: the decoder skips exactly the expired bits", "[v3][refill]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Config c = v3(Fp::kFp32, 23, 16, 1 << 14);
  const std::vector<uint32_t> v = adversarial(rng, 16, 1 << 14);
  const Encoded e = must_encode(c, v);
  REQUIRE(e.expired_units > 0);
  std::vector<uint32_t> ref;
  REQUIRE(reference_decode(c, e.table, e.payload.data(), e.chunk_words[0], v.size(), &ref));
  CHECK(ref == v);
  // A set bit in an expired unit's skipped part is bad_padding: find one by flipping bits of
  // lane 0's units (the slow lane) until the decoder reports it, CRC recomputed.
  bool seen = false;
  for (size_t byte = 0; byte < e.payload.size() && !seen; byte += 4) {
    std::vector<uint8_t> p = e.payload;
    p[byte + 3] ^= 0x80;  // the last bit of a word: unread when its word expired
    std::vector<uint32_t> out(v.size());
    const Status s = decode_chunk_v3(c, e.table, v.size(), crc32c(p.data(), p.size()), p.data(),
                                     e.chunk_words[0], out.data());
    seen = s == Status::kBadPadding;
  }
  CHECK(seen);
}

TEST_CASE("Version 3 bounds decoded size: a chunk shorter than N_min is refused", "[v3][bounds]") {
  const Config c = v3(Fp::kFp32, 23, 16, 1 << 14);
  const std::vector<uint32_t> zeros(1 << 14, 0);
  Encoded e = must_encode(c, zeros);
  CHECK(e.chunk_words[0] == min_chunk_units_v3(c, zeros.size()));  // 1 bit per value
  CHECK(min_chunk_units_v3(c, 1 << 14) == (1u << 14) / 32);
  // One unit claiming 16384 values: the format's bomb case.
  Encoded bomb = e;
  bomb.chunk_words = {1};
  bomb.payload.assign(4, 0);
  bomb.chunk_crc = {crc32c(bomb.payload.data(), 4)};
  std::vector<uint32_t> out(zeros.size());
  CHECK(decode(bomb, out.data()) == Status::kBadIndex);
}

TEST_CASE("Version 3 decoder reports altered chunks", "[v3][errors]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Config c = v3(Fp::kBf16, 7, 4, 1024);
  const std::vector<uint32_t> v = test::random_values(rng, Fp::kBf16, 1024);
  const Encoded e = must_encode(c, v);
  const auto run = [&](std::vector<uint8_t> p, uint64_t units) {
    std::vector<uint32_t> out(v.size(), 0xDEAD);
    const Status s = decode_chunk_v3(c, e.table, v.size(), crc32c(p.data(), p.size()), p.data(),
                                     units, out.data());
    if (s != Status::kOk) {
      CHECK(std::all_of(out.begin(), out.end(), [](uint32_t x) { return x == 0; }));
    }
    return s;
  };
  REQUIRE(run(e.payload, e.chunk_words[0]) == Status::kOk);
  SECTION("an extra zero unit is length") {
    std::vector<uint8_t> p = e.payload;
    p.resize(p.size() + 4, 0);
    CHECK(run(p, e.chunk_words[0] + 1) == Status::kLength);
  }
  SECTION("a missing last unit is an error") {
    std::vector<uint8_t> p = e.payload;
    p.resize(p.size() - 4);
    CHECK(run(p, e.chunk_words[0] - 1) != Status::kOk);
  }
  SECTION("every single-bit flip is caught by the CRC") {
    for (size_t bit = 0; bit < e.payload.size() * 8; bit += 7) {
      std::vector<uint8_t> p = e.payload;
      p[bit / 8] ^= static_cast<uint8_t>(1u << (bit % 8));
      std::vector<uint32_t> out(v.size());
      CHECK(decode_chunk_v3(c, e.table, v.size(), e.chunk_crc[0], p.data(), e.chunk_words[0],
                            out.data()) == Status::kCrc);
    }
  }
  SECTION("a wrong CRC is crc, and lengths outside N_min .. N_max are bad_index") {
    std::vector<uint32_t> out(v.size());
    CHECK(decode_chunk_v3(c, e.table, v.size(), e.chunk_crc[0] ^ 1, e.payload.data(),
                          e.chunk_words[0], out.data()) == Status::kCrc);
    CHECK(decode_chunk_v3(c, e.table, v.size(), e.chunk_crc[0], e.payload.data(), 0, out.data()) ==
          Status::kBadIndex);
  }
}

TEST_CASE("Version 3 decoder refuses a distance to exponent 255", "[v3][errors]") {
  // A legal table with base 255: D_0 would decode to Inf, which every encoder escapes.
  const Config c = v3(Fp::kBf16, 7, 4, 16);
  CodeTable t;
  t.base = 255;
  t.sign = SignMode::kPositive;
  t.dist = 2;
  t.lengths[0][kSymZero] = 2;
  t.lengths[0][kSymDist0] = 1;      // D_0: exponent 255
  t.lengths[0][kSymDist0 + 1] = 2;  // D_1: exponent 254
  REQUIRE(check_table(t) == Status::kOk);
  // Canonical codewords: D_0 = 0, ZERO = 10, D_1 = 11 (Spec: "Canonical codewords").
  const uint8_t d0[4] = {0x00, 0, 0, 0};  // codeword 0, then 7 zero mantissa bits
  std::vector<uint32_t> out(1, 0xDEAD);
  CHECK(decode_chunk_v3(c, t, 1, crc32c(d0, 4), d0, 1, out.data()) == Status::kExpRange);
  CHECK(out[0] == 0);
  const uint8_t d1[4] = {0x03, 0, 0, 0};  // codeword 11, exponent 254
  CHECK(decode_chunk_v3(c, t, 1, crc32c(d1, 4), d1, 1, out.data()) == Status::kOk);
  CHECK(out[0] == 0x7F00u);
}

TEST_CASE("Version 3 encoder refuses a table that cannot code the values", "[v3][errors]") {
  const Config c = v3(Fp::kFp32, 23, 4, 256);
  const std::vector<uint32_t> pos = {0x3F800000, 0x40000000, 0, 0x3F800000};
  const std::vector<uint32_t> neg = {0xBF800000, 0x3F800000};
  const CodeTable t = build_table(c, pos.data(), pos.size());
  CHECK(t.sign == SignMode::kPositive);
  Encoded e;
  CHECK(encode_with_table(c, t, neg.data(), neg.size(), &e) == Status::kBadTable);
  // Every version 3 table rule gives ESC a codeword ("Code lengths"), so exponent 1 escapes;
  // without ESC (a legal table no conforming encoder builds) it cannot be coded.
  const std::vector<uint32_t> far = {0x00800000};
  CHECK(t.lengths[0][kSymEsc] != 0);
  CHECK(encode_with_table(c, t, far.data(), far.size(), &e) == Status::kOk);
  CHECK(must_decode(e) == far);
  CodeTable no_esc = t;
  no_esc.lengths[0][kSymEsc] = 0;
  REQUIRE(check_table(no_esc) == Status::kOk);
  CHECK(encode_with_table(c, no_esc, far.data(), far.size(), &e) == Status::kBadTable);
  CHECK(encode_with_table(c, t, pos.data(), pos.size(), &e) == Status::kOk);
  CHECK(must_decode(e) == pos);
}

TEST_CASE("Version 3 small tensors of a file share a table when it is cheaper", "[v3][shared]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Config c = v3(Fp::kFp32, 23, 16, 1 << 14);
  // Three small tensors drawn alike, and one of another kind.
  std::normal_distribution<float> g(0.0f, 0.02f);
  std::vector<std::vector<uint32_t>> vals(4);
  for (size_t i = 0; i < 4; ++i) {
    vals[i].resize(i == 3 ? 100 : 256);
    for (auto& x : vals[i]) {
      float f = i == 3 ? 1000.0f + g(rng) * 1e5f : g(rng);
      std::memcpy(&x, &f, 4);
    }
  }
  std::vector<TensorInput> in;
  for (const auto& v : vals) in.push_back({c, v.data(), v.size()});
  std::vector<Encoded> out;
  REQUIRE(encode_tensors(in, &out) == Status::kOk);
  REQUIRE(out.size() == 4);
  CHECK(out[0].table_ref == 0);
  CHECK(out[1].table_ref == 1);
  CHECK(out[2].table_ref == 1);
  CHECK(out[3].table_ref == 0);  // exponents near 2^10: the first table would escape them
  uint64_t shared = 0, alone = 0;
  for (size_t i = 0; i < 4; ++i) {
    check_accounting(out[i]);
    CHECK(must_decode(out[i]) == vals[i]);
    shared += out[i].bits.total();
    alone += must_encode(c, vals[i]).bits.total();
  }
  CHECK(shared < alone);
}

TEST_CASE("Version 3 table sections round trip and refuse a zero reference", "[v3][table]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const Config c = v3(Fp::kFp32, 23, 16, 1 << 14);
  const std::vector<uint32_t> v = test::random_values(rng, Fp::kFp32, 5000);
  const CodeTable t = build_table(c, v.data(), v.size());
  for (uint32_t ref : {0u, 1u, 17u, 32767u}) {
    const std::vector<uint8_t> s = pack_table_section(t, ref);
    CHECK(s.size() == (table_section_bits(t, ref) + 7) / 8);
    CodeTable back;
    uint32_t got = 99;
    size_t used = 0;
    REQUIRE(unpack_table_section(s.data(), s.size(), &back, &got, &used) == Status::kOk);
    CHECK(got == ref);
    CHECK(used == s.size());
    if (!ref) CHECK(back == t);
  }
  const uint8_t zero_ref[2] = {0x01, 0x00};
  CodeTable back;
  uint32_t got = 0;
  size_t used = 0;
  CHECK(unpack_table_section(zero_ref, 2, &back, &got, &used) == Status::kBadTable);
  std::vector<uint8_t> s = pack_table_section(t, 0);
  s.back() |= 0x80;  // a pad bit
  if (table_section_bits(t, 0) % 8) {
    CHECK(unpack_table_section(s.data(), s.size(), &back, &got, &used) == Status::kBadTable);
  }
}

}  // namespace
}  // namespace sfp
