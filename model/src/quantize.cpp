// SPDX-License-Identifier: Apache-2.0
//
// Array forms of Q_k. Spec: "Mantissa quantizer".
#include "sfp/quantize.hpp"

#include <cstring>

namespace sfp {

void quantize(const uint32_t* in, uint32_t* out, size_t n, Fp fp, unsigned k, Rounding r) {
  for (size_t i = 0; i < n; ++i) out[i] = quantize(in[i], fp, k, r);
}

void quantize_f32(const float* in, float* out, size_t n, unsigned k, Rounding r) {
  for (size_t i = 0; i < n; ++i) {
    uint32_t b;
    std::memcpy(&b, &in[i], 4);
    b = quantize(b, Fp::kFp32, k, r);
    std::memcpy(&out[i], &b, 4);
  }
}

}  // namespace sfp
