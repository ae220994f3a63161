// SPDX-License-Identifier: Apache-2.0
//
// Seeded test data shared by the model tests: random values of every class and the FP corners.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "sfp/format.hpp"

namespace sfp::test {

// The FP corner patterns of a format: +-0, min/max subnormal, min/max normal, 1.0, +-Inf, quiet
// and signalling NaNs with payloads.
inline std::vector<uint32_t> corners(Fp fp) {
  if (fp == Fp::kFp32) {
    return {0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF,
            0xFF7FFFFF, 0x3F800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001,
            0x7F800001, 0x7FBFFFFF, 0xFFFFFFFF, 0x7FFFFFFF, 0x00400000, 0x3FFFFFFF};
  }
  return {0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F7F, 0xFF7F, 0x3F80, 0x7F80,
          0xFF80, 0x7FC0, 0xFFC1, 0x7F81, 0x7FBF, 0xFFFF, 0x7FFF, 0x0040, 0x3FFF};
}

// Random bit patterns drawn from a mix of classes: uniform bits, zeros, narrow-exponent
// normals (like weights and activations), subnormals and specials.
inline std::vector<uint32_t> random_values(std::mt19937_64& rng, Fp fp, size_t n) {
  const FpFormat f = fp_format(fp);
  const uint32_t all = fp == Fp::kFp32 ? 0xFFFFFFFFu : 0xFFFFu;
  std::vector<uint32_t> v(n);
  std::uniform_int_distribution<uint32_t> bits(0, all);
  std::uniform_int_distribution<int> kind(0, 9), spread(-6, 6);
  for (auto& x : v) {
    const uint32_t r = bits(rng);
    switch (kind(rng)) {
      case 0:
        x = r;
        break;
      case 1:
      case 2:
        x = 0;
        break;
      case 3:
        x = r & (f.man_mask() | (1u << (f.width() - 1)));
        break;  // subnormal or -0
      case 4:
        x = (r & ~(f.exp_max() << f.man_bits)) | (f.exp_max() << f.man_bits);
        break;
      default: {
        const uint32_t e = static_cast<uint32_t>(120 + spread(rng));
        x = (r & (f.man_mask() | (1u << (f.width() - 1)))) | (e << f.man_bits);
      }
    }
  }
  return v;
}

}  // namespace sfp::test
