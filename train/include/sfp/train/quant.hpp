// SPDX-License-Identifier: Apache-2.0
//
// Mantissa quantization of libtorch tensors through the golden model's Q_k (sfp::quantize_f32),
// as autograd functions. Spec: docs/training.md, "Quantizers".
#pragma once

#include <torch/torch.h>

#include "sfp/format.hpp"

namespace sfp::train {

// Q_k element by element on a float tensor; no autograd (the result does not require grad).
torch::Tensor quantize_tensor(const torch::Tensor& x, unsigned k, sfp::Rounding r);

// Forward Q_k(x); backward straight-through (dL/dx = dL/dQ). k >= 23 returns x unchanged.
torch::Tensor quantize_ste(const torch::Tensor& x, unsigned k, sfp::Rounding r);

// Quantum Mantissa. n is a 0-dim float tensor in [0, max_bits]; lo = floor(n),
// hi = min(lo + 1, max_bits), f = n - lo. Forward x^ = (1 - f) Q_lo(x) + f Q_hi(x); backward
// dL/dx = dL/dx^ (straight-through), dL/dn = sum(dL/dx^ * (Q_hi(x) - Q_lo(x))). For non-integer
// n, lo and hi are floor(n) and ceil(n); at an integer n the derivative is the right-hand one.
torch::Tensor quantize_qm(const torch::Tensor& x, const torch::Tensor& n, unsigned max_bits,
                          sfp::Rounding r);

// Bits a QM tensor is charged: ceil(n), clamped to [0, max_bits].
unsigned qm_charged_bits(double n, unsigned max_bits);

}  // namespace sfp::train
