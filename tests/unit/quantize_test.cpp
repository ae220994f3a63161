// SPDX-License-Identifier: Apache-2.0
//
// Q_k against an independent reference that rounds with double arithmetic.
#include "sfp/quantize.hpp"

#include <catch2/catch.hpp>
#include <cfenv>
#include <cmath>
#include <cstring>
#include <random>

#include "test_data.hpp"

namespace sfp {
namespace {

bool is_nan(uint32_t b, Fp fp) {
  const Fields x = split(b, fp);
  return x.exp == fp_format(fp).exp_max() && x.man != 0;
}

// The real value of a non-NaN magnitude pattern; the pattern one past the largest finite value
// (Inf) stands for 2^(emax+1), the value IEEE rounding compares against.
double magnitude(uint32_t mag, Fp fp) {
  const FpFormat f = fp_format(fp);
  const uint32_t e = mag >> f.man_bits, m = mag & f.man_mask();
  if (e == 0) return std::ldexp(static_cast<double>(m), 1 - 127 - static_cast<int>(f.man_bits));
  return std::ldexp(static_cast<double>(m | (1u << f.man_bits)),
                    static_cast<int>(e) - 127 - static_cast<int>(f.man_bits));
}

// Reference Q_k written from the spec's table without the integer-carry trick: pick the nearer of
// the two k-bit neighbours by comparing real distances, ties to the even neighbour.
uint32_t reference_q(uint32_t b, Fp fp, unsigned k, Rounding r) {
  const FpFormat f = fp_format(fp);
  const unsigned d = f.man_bits - k;
  const uint32_t sign = b & (1u << (f.width() - 1));
  const uint32_t mag = b ^ sign;
  const uint32_t inf = f.exp_max() << f.man_bits;
  if (d == 0 || mag == inf) return b;
  if (mag > inf) {
    uint32_t man = (mag & f.man_mask()) >> d << d;
    if (man == 0) man = 1u << (f.man_bits - 1);
    return sign | inf | man;
  }
  const uint32_t lo = mag >> d << d, hi = lo + (1u << d);
  if (r == Rounding::kTruncate || lo == mag) return sign | lo;
  const double x = magnitude(mag, fp), below = x - magnitude(lo, fp), above = magnitude(hi, fp) - x;
  if (below < above) return sign | lo;
  if (above < below) return sign | hi;
  return sign | (((lo >> d) & 1u) ? hi : lo);
}

TEST_CASE("Q_k equals the reference for every BF16 pattern and every k and both roundings",
          "[quantize]") {
  for (unsigned k = 0; k <= 7; ++k) {
    for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
      for (uint32_t b = 0; b < 0x10000; ++b) {
        const uint32_t got = quantize(b, Fp::kBf16, k, r), want = reference_q(b, Fp::kBf16, k, r);
        if (got != want) FAIL("k=" << k << " r=" << int(r) << " in=" << std::hex << b);
      }
    }
  }
}

TEST_CASE("Q_k equals the reference on FP32 values near every rounding boundary", "[quantize]") {
  std::mt19937_64 rng(Catch::rngSeed());
  for (unsigned k : {0u, 1u, 6u, 7u, 10u, 22u}) {
    const unsigned d = 23 - k;
    const uint32_t dropped = (1u << d) - 1, tie = 1u << (d - 1);
    const uint32_t lows[] = {0, 1, tie - 1, tie, tie + 1, dropped};
    for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
      for (uint32_t hi = 0; hi < 0x10000; ++hi) {
        // Sign, exponent and top mantissa bits from hi, random kept bits below them, then the
        // dropped part at and around the tie.
        const uint32_t kept = ((hi << 16) | static_cast<uint32_t>(rng() & 0xFFFF)) & ~dropped;
        for (uint32_t low : lows) {
          const uint32_t x = kept | low;
          if (quantize(x, Fp::kFp32, k, r) != reference_q(x, Fp::kFp32, k, r)) {
            FAIL("k=" << k << " r=" << int(r) << " in=" << std::hex << x);
          }
        }
      }
    }
  }
}

// An independent FP32 -> BF16 conversion with round-to-nearest-even, done with float arithmetic:
// add and subtract a power of two so the FPU rounds at bit 16 of the significand.
uint32_t fp32_to_bf16_rne_via_fpu(uint32_t b) {
  float x;
  std::memcpy(&x, &b, 4);
  const int e = std::ilogb(x);
  if (x == 0.0f || !std::isfinite(x)) return b;
  // Below the normal range the BF16 quantum is that of the smallest normal exponent.
  const int q = std::max(e, -126) - 7;
  const double scale = std::ldexp(1.0, q);  // BF16 quantum at this exponent
  const double r = std::nearbyint(static_cast<double>(x) / scale) * scale;  // ties to even
  if (std::fabs(r) >= std::ldexp(1.0, 128)) return (b & 0x80000000u) | 0x7F800000u;
  const float rf = static_cast<float>(r);
  uint32_t out;
  std::memcpy(&out, &rf, 4);
  return out;
}

TEST_CASE("RNE at m = 7 on FP32 equals an independent FP32 to BF16 conversion", "[quantize]") {
  REQUIRE(std::fegetround() == FE_TONEAREST);
  std::mt19937_64 rng(Catch::rngSeed());
  std::vector<uint32_t> inputs = test::corners(Fp::kFp32);
  for (uint32_t hi = 0; hi < 0x10000; ++hi) {
    for (uint32_t low : {0x0000u, 0x7FFFu, 0x8000u, 0x8001u, 0xFFFFu}) {
      inputs.push_back(hi << 16 | low);
    }
    inputs.push_back(hi << 16 | static_cast<uint32_t>(rng() & 0xFFFF));
  }
  size_t checked = 0;
  for (uint32_t b : inputs) {
    if (is_nan(b, Fp::kFp32)) continue;
    const uint32_t got = quantize(b, Fp::kFp32, 7, Rounding::kNearestEven);
    if (got != fp32_to_bf16_rne_via_fpu(b)) FAIL("in=" << std::hex << b << " got=" << got);
    ++checked;
  }
  CHECK(checked > 300000);
}

TEST_CASE("Q_k keeps zero and Inf and NaN and never turns a NaN into Inf", "[quantize]") {
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const FpFormat f = fp_format(fp);
    const uint32_t inf = f.exp_max() << f.man_bits, sign = 1u << (f.width() - 1);
    for (unsigned k = 0; k <= f.man_bits; ++k) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        CHECK(quantize(0, fp, k, r) == 0);
        CHECK(quantize(sign, fp, k, r) == sign);
        CHECK(quantize(inf, fp, k, r) == inf);
        CHECK(quantize(sign | inf, fp, k, r) == (sign | inf));
        for (uint32_t payload : {1u, 2u, f.man_mask(), 1u << (f.man_bits - 1), 0x15u}) {
          for (uint32_t s : {0u, sign}) {
            const uint32_t q = quantize(s | inf | payload, fp, k, r);
            CHECK(is_nan(q, fp));
            CHECK((q & sign) == s);
          }
        }
      }
    }
  }
}

TEST_CASE("The array form equals the scalar form for every BF16 pattern and k and rounding",
          "[quantize]") {
  std::vector<uint32_t> all(0x10000), out(all.size());
  for (uint32_t b = 0; b < all.size(); ++b) all[b] = b;
  for (unsigned k = 0; k <= 7; ++k) {
    for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
      quantize(all.data(), out.data(), all.size(), Fp::kBf16, k, r);
      for (uint32_t b = 0; b < all.size(); ++b) {
        if (out[b] != quantize(b, Fp::kBf16, k, r)) FAIL("k=" << k << " in=" << std::hex << b);
      }
    }
  }
  std::mt19937_64 rng(Catch::rngSeed());
  auto v = test::random_values(rng, Fp::kFp32, 20000);
  const auto corners = test::corners(Fp::kFp32);
  v.insert(v.end(), corners.begin(), corners.end());
  std::vector<uint32_t> q(v.size());
  for (unsigned k = 0; k <= 23; ++k) {
    for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
      quantize(v.data(), q.data(), v.size(), Fp::kFp32, k, r);
      for (size_t i = 0; i < v.size(); ++i) {
        if (q[i] != quantize(v[i], Fp::kFp32, k, r)) FAIL("k=" << k << " in=" << std::hex << v[i]);
      }
    }
  }
}

TEST_CASE("Q_M is the identity and the array forms match the scalar form", "[quantize]") {
  std::mt19937_64 rng(Catch::rngSeed());
  const auto v = test::random_values(rng, Fp::kFp32, 4096);
  std::vector<uint32_t> out(v.size());
  quantize(v.data(), out.data(), v.size(), Fp::kFp32, 23, Rounding::kNearestEven);
  CHECK(out == v);
  quantize(v.data(), out.data(), v.size(), Fp::kFp32, 5, Rounding::kNearestEven);
  std::vector<float> fin(v.size()), fout(v.size());
  std::memcpy(fin.data(), v.data(), v.size() * 4);
  quantize_f32(fin.data(), fout.data(), fin.size(), 5, Rounding::kNearestEven);
  for (size_t i = 0; i < v.size(); ++i) {
    CHECK(out[i] == quantize(v[i], Fp::kFp32, 5, Rounding::kNearestEven));
    uint32_t b;
    std::memcpy(&b, &fout[i], 4);
    CHECK(b == out[i]);
  }
}

}  // namespace
}  // namespace sfp
