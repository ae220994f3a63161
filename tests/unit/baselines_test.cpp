// SPDX-License-Identifier: Apache-2.0
//
// Baselines: the mini-float element formats against their code tables, MX and NVFP4 block
// scaling on hand-worked blocks, entropy and Huffman sanity.
#include "sfp/baselines.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>

namespace sfp {
namespace {

// Every finite value of a mini-float format, from its code table (decoded independently of
// round_to): e == 0 is subnormal, and codes above the format's max (E4M3's NaN, E5M2's Inf/NaN)
// are skipped.
std::vector<double> code_values(const MiniFloat& f) {
  std::vector<double> out;
  const unsigned codes = 1u << (f.exp_bits + f.man_bits);
  for (unsigned c = 0; c < codes; ++c) {
    const unsigned e = c >> f.man_bits, m = c & ((1u << f.man_bits) - 1);
    const double frac = static_cast<double>(m) / (1u << f.man_bits);
    const double v = e == 0 ? std::ldexp(frac, 1 - f.bias)
                            : std::ldexp(1.0 + frac, static_cast<int>(e) - f.bias);
    if (v <= f.max) out.push_back(v);
  }
  return out;
}

TEST_CASE("Mini-float rounding keeps every code and rounds midpoints to the even code",
          "[baselines]") {
  for (const MiniFloat& f : {kE4M3, kE5M2, kE3M2, kE2M3, kE2M1}) {
    INFO(f.name);
    const auto vals = code_values(f);
    CHECK(vals.back() == f.max);
    for (size_t i = 0; i < vals.size(); ++i) {
      CHECK(round_to(f, vals[i]) == vals[i]);
      CHECK(round_to(f, -vals[i]) == -vals[i]);
      if (i + 1 < vals.size()) {
        const double mid = (vals[i] + vals[i + 1]) / 2;
        // Codes alternate even/odd mantissa in value order: index parity tells which is even.
        CHECK(round_to(f, mid) == (i % 2 == 0 ? vals[i] : vals[i + 1]));
        CHECK(round_to(f, std::nextafter(mid, 0.0)) == vals[i]);
        CHECK(round_to(f, std::nextafter(mid, 1e9)) == vals[i + 1]);
      }
    }
    CHECK(round_to(f, f.max * 4) == f.max);  // saturation
  }
  CHECK(code_values(kE2M1) == std::vector<double>{0, 0.5, 1, 1.5, 2, 3, 4, 6});
  CHECK(max_exponent(kE4M3) == 8);
  CHECK(max_exponent(kE5M2) == 15);
  CHECK(max_exponent(kE2M1) == 2);
}

std::vector<uint32_t> bits_of(const std::vector<float>& f) {
  std::vector<uint32_t> b(f.size());
  std::memcpy(b.data(), f.data(), f.size() * 4);
  return b;
}

const LowPrecision& find(const std::vector<LowPrecision>& all, const std::string& name) {
  for (const auto& r : all) {
    if (r.name == name) return r;
  }
  FAIL("no baseline " << name);
  return all.front();
}

TEST_CASE("MX blocks share the scale 2^(floor(log2 amax) - emax) and NVFP4 scales by amax/6",
          "[baselines]") {
  // One block of 32: amax = 10 -> floor(log2 10) = 3; MXFP4 emax = 2 -> scale 2.
  // 10/2 = 5 -> E2M1 rounds the tie between 4 and 6 to 4 (even mantissa) -> 8.
  // 2.9/2 = 1.45 -> 1.5 -> 3. 0.2/2 = 0.1 -> 0.
  std::vector<float> x(32, 0.0f);
  x[0] = 10.0f;
  x[1] = 2.9f;
  x[2] = 0.2f;
  x[3] = -7.0f;  // -3.5 -> tie between 3 and 4: 4 has the even mantissa -> -8
  const auto v = bits_of(x);
  const auto all = low_precision_baselines(v.data(), v.size());
  const auto& mx4 = find(all, "MXFP4 (E2M1)");
  CHECK(mx4.dequantized[0] == 8.0f);
  CHECK(mx4.dequantized[1] == 3.0f);
  CHECK(mx4.dequantized[2] == 0.0f);
  CHECK(mx4.dequantized[3] == -8.0f);
  CHECK(mx4.bits_per_value == Approx(4.0 + 8.0 / 32));
  // MXFP8 E4M3: emax 8 -> scale 2^-5; 10 * 32 = 320 is representable (1.25 * 2^8).
  CHECK(find(all, "MXFP8 (E4M3)").dequantized[0] == 10.0f);
  // NVFP4: tensor scale 10 / 2688; block scale (10/6) / that = 448 exactly -> eff = 10/6;
  // 10 / eff = 6 -> 10.
  const auto& nv = find(all, "NVFP4");
  CHECK(nv.dequantized[0] == Approx(10.0f));
  CHECK(nv.bits_per_value == Approx((4.0 * 32 + 8.0 * 2 + 32) / 32));
  CHECK(find(all, "BF16").rel_l2_error < 0.004);
}

TEST_CASE("Entropy and Huffman agree with hand-computed distributions", "[baselines]") {
  // Exponents 126, 127 and 128 with counts 2, 1, 1: H = 1.5 bits; Huffman lengths 1, 2, 2.
  const std::vector<uint32_t> v{0x3F000000, 0x3F000000, 0x3F800000, 0x40000000};
  const auto hist = exponent_histogram(v.data(), v.size(), Fp::kFp32);
  CHECK(entropy_bits(hist) == Approx(1.5));
  const auto len = huffman_lengths(hist);
  CHECK(len[126] == 1);
  CHECK(len[127] == 2);
  CHECK(len[128] == 2);
  CHECK(huffman_exponent_bits(v.data(), v.size(), Fp::kFp32) == 256 * 5 + 2 + 2 + 2);
  // Alternating exponents are fully predictable from the previous one.
  const std::vector<uint32_t> alt{0x3F000000, 0x40000000, 0x3F000000, 0x40000000, 0x3F000000};
  CHECK(conditional_exponent_entropy(alt.data(), alt.size(), Fp::kFp32) == Approx(0.0));
  CHECK(zero_value_bits(v.data(), v.size(), Fp::kFp32, true) == 4 + 4 * 8);
}

TEST_CASE("Huffman lengths stay within the limit on a skewed distribution", "[baselines]") {
  std::vector<uint64_t> hist(256, 0);
  uint64_t a = 1, b = 1;
  for (int i = 0; i < 40; ++i) {  // Fibonacci weights give the deepest tree
    hist[i] = a;
    const uint64_t c = a + b;
    a = b;
    b = c;
  }
  const auto len = huffman_lengths(hist, 24);
  double kraft = 0;
  for (unsigned l : len) {
    CHECK(l <= 24);
    if (l) kraft += std::ldexp(1.0, -static_cast<int>(l));
  }
  CHECK(kraft <= 1.0);
}

}  // namespace
}  // namespace sfp
