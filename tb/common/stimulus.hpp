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

// Directed corners, back to back with changing configurations: all zeros, all specials, the
// widest exponent spread, the FP corners, every m of both formats with both roundings, Gecko
// off, and lengths around the group and chunk sizes.
inline std::vector<TensorCase> directed_tensors(std::mt19937_64& rng, const Config& params) {
  std::vector<TensorCase> out;
  const unsigned g = params.group, c = params.chunk;
  const auto lossless = [&](Fp fp) {
    Config k = params;
    k.fp = fp;
    k.man_bits = fp_format(fp).man_bits;
    return k;
  };
  for (Fp fp : {Fp::kFp32, Fp::kBf16}) {
    const FpFormat f = fp_format(fp);
    const Config k = lossless(fp);
    out.push_back({k, std::vector<uint32_t>(c + g + 1, 0u), "all zeros"});
    std::vector<uint32_t> specials;
    for (uint32_t i = 0; i < 3 * g + 1; ++i) {
      specials.push_back(make_value(fp, i & 1, 255, (i % 3 == 0) ? 0 : (i * 0x9E3779B9u) | 1));
    }
    out.push_back({k, specials, "all Inf/NaN"});
    Config k0 = k;
    k0.man_bits = 0;
    out.push_back({k0, specials, "all Inf/NaN, m = 0"});
    std::vector<uint32_t> spread;
    for (uint32_t i = 0; i < 2 * g + 3; ++i) {
      const uint32_t e = (i % 3 == 0) ? 0 : (i % 3 == 1) ? 255 : 127;
      spread.push_back(make_value(fp, i & 1, e, static_cast<uint32_t>(rng()) | 1));
    }
    out.push_back({k, spread, "widest exponent spread"});
    std::vector<uint32_t> corners = corner_values(fp);
    for (size_t i = 0; i < corners.size(); i += 3) corners.push_back(0);
    out.push_back({k, corners, "FP corners"});
    out.push_back({k0, corners, "FP corners, m = 0"});
    std::vector<uint32_t> equal(g * 2, make_value(fp, 0, 130, 5));
    out.push_back({k, equal, "all-equal groups"});
    for (unsigned m = 0; m <= f.man_bits; ++m) {
      for (Rounding r : {Rounding::kTruncate, Rounding::kNearestEven}) {
        Config km = k;
        km.man_bits = m;
        km.rounding = r;
        km.gecko = (m % 5) != 3;
        out.push_back(
            {km, random_values(rng, fp, 2 * g + 3, Mix::kEveryClass), "m = " + std::to_string(m)});
      }
    }
  }
  const size_t lengths[] = {1, g - 1, g, g + 1, c - 1, c, c + 1, 2 * c + g / 2 + 1};
  for (size_t n : lengths) {
    Config k = random_config(rng, params);
    out.push_back(
        {k, random_values(rng, k.fp, n, Mix::kEveryClass), "length " + std::to_string(n)});
  }
  return out;
}

// Appends bits LSB first into W-bit words of 32-bit limbs (for hand-made chunks).
class BitBuf {
 public:
  explicit BitBuf(unsigned word_bits) : word_bits_(word_bits) {}
  void put(uint64_t v, unsigned n) {
    for (unsigned i = 0; i < n; ++i, ++bits_) {
      if (bits_ / 32 >= limbs_.size()) limbs_.push_back(0);
      limbs_[bits_ / 32] |= static_cast<uint32_t>((v >> i) & 1u) << (bits_ % 32);
    }
  }
  uint64_t bits() const { return bits_; }
  // The words, zero padded to a word boundary.
  std::vector<std::vector<uint32_t>> words() const {
    const size_t per = word_bits_ / 32, n = (bits_ + word_bits_ - 1) / word_bits_;
    std::vector<std::vector<uint32_t>> w(n, std::vector<uint32_t>(per, 0));
    for (size_t i = 0; i < limbs_.size(); ++i) w[i / per][i % per] = limbs_[i];
    return w;
  }

 private:
  unsigned word_bits_;
  uint64_t bits_ = 0;
  std::vector<uint32_t> limbs_;
};

}  // namespace sfp::tb
