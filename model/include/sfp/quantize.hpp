// SPDX-License-Identifier: Apache-2.0
//
// Field split and merge, and the mantissa quantizer Q_k shared by the trainer, the encoder model
// and the RTL. Spec: docs/format.md, "Mantissa quantizer".
#pragma once

#include <cstddef>
#include <cstdint>

#include "sfp/format.hpp"

namespace sfp {

struct Fields {
  uint32_t sign;
  uint32_t exp;
  uint32_t man;
};

inline Fields split(uint32_t bits, Fp fp) {
  const FpFormat f = fp_format(fp);
  return {bits >> (f.width() - 1), (bits >> f.man_bits) & f.exp_max(), bits & f.man_mask()};
}

inline uint32_t merge(Fields v, Fp fp) {
  const FpFormat f = fp_format(fp);
  return (v.sign << (f.width() - 1)) | (v.exp << f.man_bits) | v.man;
}

// Q_k: keep the top k mantissa bits of one value (0 <= k <= man_bits of the format).
// Truncate: clear the low bits. Nearest-even: round the magnitude (exponent and mantissa as one
// integer) to k mantissa bits, ties to even; a carry may reach the exponent and a finite value
// may become Inf. Zero and Inf are unchanged. NaN: the payload is truncated (never rounded);
// if the kept bits are all zero the top mantissa bit (quiet bit) is set, so NaN stays NaN.
inline uint32_t quantize(uint32_t bits, Fp fp, unsigned k, Rounding r) {
  const FpFormat f = fp_format(fp);
  if (k >= f.man_bits) return bits;
  const unsigned drop = f.man_bits - k;
  const uint32_t sign_bit = 1u << (f.width() - 1);
  const uint32_t mag = bits & (sign_bit - 1);
  const uint32_t inf = f.exp_max() << f.man_bits;
  const uint32_t keep_mask = ~((1u << drop) - 1);
  if (mag > inf) {  // NaN
    uint32_t man = mag & f.man_mask() & keep_mask;
    if (man == 0) man = 1u << (f.man_bits - 1);
    return (bits & sign_bit) | inf | man;
  }
  if (r == Rounding::kTruncate || mag == inf) return (bits & sign_bit) | (mag & keep_mask);
  const uint32_t half = (1u << (drop - 1)) - 1;
  const uint32_t odd = (mag >> drop) & 1u;
  const uint32_t rounded = (mag + half + odd) & keep_mask;  // at most inf: no overflow past Inf
  return (bits & sign_bit) | rounded;
}

// Q_k over an array of bit patterns (in may equal out).
void quantize(const uint32_t* in, uint32_t* out, size_t n, Fp fp, unsigned k, Rounding r);
void quantize_f32(const float* in, float* out, size_t n, unsigned k, Rounding r);

}  // namespace sfp
