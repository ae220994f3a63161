// SPDX-License-Identifier: Apache-2.0
//
// Stimulus for the RTL testbenches: values of every floating-point class, data shaped like
// training tensors, worst-case (incompressible) data, FP corners and random configurations.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sfp/format.hpp"

namespace sfp::tb {

enum class Mix {
  kEveryClass,      // uniform bits, zeros, narrow normals, subnormals, Inf/NaN, ties, max finite
  kIncompressible,  // no zeros, exponents over the whole range, random mantissas
  kStructured,      // activation-like: ReLU zeros, exponents clustered and drifting slowly
  kSparse,          // 90 % zeros
};

inline const char* mix_name(Mix m) {
  switch (m) {
    case Mix::kEveryClass:
      return "every-class";
    case Mix::kIncompressible:
      return "incompressible";
    case Mix::kStructured:
      return "structured";
    case Mix::kSparse:
      return "sparse";
  }
  return "?";
}

// One value of a format with the given fields (BF16 in the low 16 bits).
inline uint32_t make_value(Fp fp, uint32_t sign, uint32_t exp, uint32_t man) {
  const FpFormat f = fp_format(fp);
  return (sign << (f.width() - 1)) | ((exp & f.exp_max()) << f.man_bits) | (man & f.man_mask());
}

inline std::vector<uint32_t> random_values(std::mt19937_64& rng, Fp fp, size_t n, Mix mix) {
  const FpFormat f = fp_format(fp);
  std::vector<uint32_t> v(n);
  std::uniform_int_distribution<uint32_t> bits(0, 0xFFFFFFFFu);
  std::uniform_int_distribution<int> kind(0, 15);
  std::normal_distribution<double> cluster(0.0, 2.0);
  double centre = 118.0;
  for (size_t i = 0; i < n; ++i) {
    const uint32_t r = bits(rng), s = bits(rng) & 1u;
    const uint32_t man = r & f.man_mask();
    uint32_t& x = v[i];
    switch (mix) {
      case Mix::kIncompressible: {
        // Exponents spread over the whole range in every group: width code 7 always.
        const uint32_t e = (i % 4 == 0) ? 0u : (i % 4 == 1) ? 255u : (r >> 24) & 0xFFu;
        x = make_value(fp, s, e, man | ((e == 0 && man == 0 && s == 0) ? 1u : 0u));
        break;
      }
      case Mix::kStructured: {
        centre += 0.02 * cluster(rng);
        centre = std::clamp(centre, 20.0, 235.0);
        if (kind(rng) < 8) {
          x = 0;
        } else {
          const int e = static_cast<int>(std::lround(centre + cluster(rng)));
          x = make_value(fp, 0, static_cast<uint32_t>(std::clamp(e, 1, 254)), man);
        }
        break;
      }
      case Mix::kSparse:
        x = kind(rng) < 14 ? 0u : make_value(fp, s, 100 + (r >> 28), man);
        break;
      case Mix::kEveryClass:
        switch (kind(rng)) {
          case 0:
          case 1:
            x = r & (fp == Fp::kFp32 ? 0xFFFFFFFFu : 0xFFFFu);  // uniform bits
            break;
          case 2:
          case 3:
          case 4:
            x = 0;  // +0
            break;
          case 5:
            x = make_value(fp, s, 0, man);  // subnormal or -0
            break;
          case 6:
            x = make_value(fp, s, 255, (r >> 20) & 1u ? man : 0u);  // Inf or NaN payloads
            break;
          case 7:
            x = make_value(fp, s, 254, f.man_mask() - ((r >> 28) & 1u));  // near overflow
            break;
          case 8: {
            // Ties and near-ties for RNE at a random kept width.
            const unsigned d = 1 + (r >> 27) % f.man_bits;
            const uint32_t tie = (man & ~((1u << d) - 1)) | (1u << (d - 1));
            x = make_value(fp, s, 100 + (r >> 29), tie - ((r >> 26) & 1u));
            break;
          }
          case 9:
            x = make_value(fp, s, (r >> 24) & 1u ? 1 : 0, f.man_mask());  // subnormal/normal edge
            break;
          default: {
            const int e = 120 + static_cast<int>(std::lround(cluster(rng) * 2));
            x = make_value(fp, s, static_cast<uint32_t>(e), man);
          }
        }
        break;
    }
  }
  return v;
}

// FP corners of a format: +-0, min/max subnormal and normal, +-Inf, quiet and signalling NaNs.
inline std::vector<uint32_t> corner_values(Fp fp) {
  if (fp == Fp::kFp32) {
    return {0x00000000, 0x80000000, 0x00000001, 0x807FFFFF, 0x00800000, 0x7F7FFFFF,
            0xFF7FFFFF, 0x3F800000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00001,
            0x7F800001, 0x7FBFFFFF, 0xFFFFFFFF, 0x7FFFFFFF, 0x00400000, 0x3FFFFFFF};
  }
  return {0x0000, 0x8000, 0x0001, 0x807F, 0x0080, 0x7F7F, 0xFF7F, 0x3F80, 0x7F80,
          0xFF80, 0x7FC0, 0xFFC1, 0x7F81, 0x7FBF, 0xFFFF, 0x7FFF, 0x0040, 0x3FFF};
}

// A configuration for the RTL's elaboration parameters with random per-tensor fields.
inline Config random_config(std::mt19937_64& rng, const Config& params) {
  Config c = params;
  c.fp = (rng() & 1) ? Fp::kBf16 : Fp::kFp32;
  const unsigned man = fp_format(c.fp).man_bits;
  // Half of the tensors lossless or nearly, the rest anywhere in 0..M.
  c.man_bits = (rng() & 1) ? man - static_cast<unsigned>(rng() % 2)
                           : static_cast<unsigned>(rng() % (man + 1));
  c.rounding = (rng() & 1) ? Rounding::kNearestEven : Rounding::kTruncate;
  c.gecko = (rng() % 5) != 0;
  return c;
}

// The packed cfg_i input of the RTL: bits 7:0 of the tensor configuration word.
inline uint8_t cfg_bits(const Config& c) {
  return static_cast<uint8_t>((c.fp == Fp::kBf16 ? 1u : 0u) | (c.man_bits << 1) |
                              (c.rounding == Rounding::kNearestEven ? 1u << 6 : 0u) |
                              (c.gecko ? 1u << 7 : 0u));
}

}  // namespace sfp::tb

namespace sfp::tb {

// A tensor to run: configuration (per-tensor fields; the rest comes from the DUT), values, name.
struct TensorCase {
  Config config;
  std::vector<uint32_t> values;
  std::string what;
};

}  // namespace sfp::tb
