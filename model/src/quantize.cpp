// SPDX-License-Identifier: Apache-2.0
//
// Array forms of Q_k. Spec: "Mantissa quantizer". The loop is written without branches so the
// compiler vectorizes it; tests check it against the scalar quantize() for every BF16 pattern.
#include "sfp/quantize.hpp"

#include <cstring>
#include <vector>

namespace sfp {
namespace {

template <Fp F>
void quantize_array(const uint32_t* in, uint32_t* out, size_t n, unsigned k, Rounding r) {
  constexpr FpFormat f = fp_format(F);
  if (k >= f.man_bits) {
    if (in != out) std::memmove(out, in, n * sizeof(uint32_t));
    return;
  }
  const unsigned drop = f.man_bits - k;
  constexpr uint32_t sign_bit = 1u << (f.width() - 1), inf = f.exp_max() << f.man_bits;
  constexpr uint32_t quiet = 1u << (f.man_bits - 1);
  const uint32_t keep = ~((1u << drop) - 1);
  const uint32_t half = r == Rounding::kNearestEven ? (1u << (drop - 1)) - 1 : 0;
  const uint32_t odd_on = r == Rounding::kNearestEven ? 1u : 0u;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t b = in[i], sign = b & sign_bit, mag = b ^ sign;
    const uint32_t finite = (mag + half + (odd_on & (mag >> drop))) & keep;  // Inf stays Inf
    const uint32_t payload = mag & f.man_mask() & keep;
    const uint32_t nan = inf | (payload ? payload : quiet);
    out[i] = sign | (mag > inf ? nan : finite);
  }
}

}  // namespace

void quantize(const uint32_t* in, uint32_t* out, size_t n, Fp fp, unsigned k, Rounding r) {
  if (fp == Fp::kFp32) {
    quantize_array<Fp::kFp32>(in, out, n, k, r);
  } else {
    quantize_array<Fp::kBf16>(in, out, n, k, r);
  }
}

void quantize_f32(const float* in, float* out, size_t n, unsigned k, Rounding r) {
  static_assert(sizeof(float) == sizeof(uint32_t));
  // Bit patterns through memcpy-compatible storage: float and uint32_t have the same layout.
  constexpr size_t kBlock = 4096;
  uint32_t buf[kBlock];
  for (size_t at = 0; at < n; at += kBlock) {
    const size_t len = n - at < kBlock ? n - at : kBlock;
    std::memcpy(buf, in + at, len * 4);
    quantize_array<Fp::kFp32>(buf, buf, len, k, r);
    std::memcpy(out + at, buf, len * 4);
  }
}

}  // namespace sfp
