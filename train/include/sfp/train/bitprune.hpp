// SPDX-License-Identifier: Apache-2.0
//
// BitPruning's integer quantizers and their autograd function. Spec: docs/bitpruning.md,
// "Quantizers". Integer inference quantization is not a container format, so it is not part of
// the golden model; these functions are its only definition.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace sfp::train {

// Largest code of a b-bit integer quantizer: signed symmetric L = 2^(b-1) - 1 (codes -L..L),
// unsigned L = 2^b - 1 (codes 0..L). b >= 2 signed, b >= 1 unsigned.
int64_t int_levels(unsigned bits, bool is_signed);

// Q_b(x) element by element, in float32: s = alpha / L_b, q = clamp(rint(x / s), lo, L_b) with
// lo = -L_b (signed) or 0 (unsigned), Q_b(x) = q * s; rint rounds half to even. `bits` (holding
// integers) and `alpha` (> 0) broadcast against x. No autograd.
torch::Tensor int_quantize(const torch::Tensor& x, const torch::Tensor& bits,
                           const torch::Tensor& alpha, bool is_signed);

struct BpQuant {
  bool is_signed = true;
  unsigned min_bits = 2;
  unsigned max_bits = 8;
  bool clip_grad = false;  // dL/dx is 0 where x lies outside the clipping range
};

// The BitPruning quantizer. n (real bitlengths) and alpha (clipping ranges) broadcast against x.
// With n clamped to [min_bits, max_bits], lo = floor(n), hi = min(lo + 1, max_bits), f = n - lo:
//   forward   x^ = (1 - f) Q_lo(x) + f Q_hi(x)
//   backward  dL/dx = dL/dx^ (inside the clipping range when clip_grad, else everywhere),
//             dL/dn = sum of dL/dx^ (Q_hi(x) - Q_lo(x)) over the elements sharing that n,
//             dL/dalpha = sum of dL/dx^ ((1 - f) dQ_lo/dalpha + f dQ_hi/dalpha), with
//             dQ_b/dalpha = (q - x/s) / L_b inside the range and q / L_b outside (LSQ).
// At an integer n the forward value is Q_n(x) and dL/dn is the right-hand slope (0 at max_bits).
torch::Tensor quantize_bp(const torch::Tensor& x, const torch::Tensor& n,
                          const torch::Tensor& alpha, const BpQuant& q);

}  // namespace sfp::train
