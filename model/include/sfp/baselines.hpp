// SPDX-License-Identifier: Apache-2.0
//
// What sfp is measured against: information limits of the exponent field, Huffman-coded
// exponents, zero-value compression, and the low-precision formats of current accelerators
// (FP8, OCP MX v1.0, NVFP4) as bit-exact quantize-dequantize functions.
// Method notes: docs/eval.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sfp/format.hpp"

namespace sfp {

// ---- Exponent statistics -------------------------------------------------------------------

// Histogram of the exponent field over n values.
std::vector<uint64_t> exponent_histogram(const uint32_t* v, size_t n, Fp fp);
// Order-0 entropy in bits per value of a histogram.
double entropy_bits(const std::vector<uint64_t>& hist);
// Entropy of each value's exponent conditioned on the previous value's exponent (memory order),
// in bits per value: H(E_i | E_{i-1}).
double conditional_exponent_entropy(const uint32_t* v, size_t n, Fp fp);

// Huffman code lengths for a histogram (0 for absent symbols), lengths limited to max_len.
std::vector<unsigned> huffman_lengths(const std::vector<uint64_t>& hist, unsigned max_len = 24);
// Bits to code every exponent with a Huffman code built for this tensor, plus the code table
// (a canonical code: one 5-bit length per symbol of the alphabet, 256 x 5 bits).
uint64_t huffman_exponent_bits(const uint32_t* v, size_t n, Fp fp);

// Zero-value compression: a bitmask of one bit per value plus each non-zero value in full.
// Returns the bits for the exponent part only if exponent_only is set (mask + 8 bits per
// non-zero value), else for whole values.
uint64_t zero_value_bits(const uint32_t* v, size_t n, Fp fp, bool exponent_only);

// Splits values into byte planes (plane k holds byte k of every value), as byte-grouped
// compressors do before an entropy coder.
std::vector<std::vector<uint8_t>> byte_planes(const uint32_t* v, size_t n, Fp fp);

// ---- Low-precision formats -----------------------------------------------------------------

// A small floating-point element format. Conversion rounds to nearest, ties to even, and
// saturates to +-max (the OCP MX conversion rule; FP8 E5M2's Inf is not produced).
struct MiniFloat {
  const char* name;
  unsigned exp_bits, man_bits;
  int bias;
  double max;  // largest finite magnitude
};
inline constexpr MiniFloat kE4M3{"E4M3", 4, 3, 7, 448.0};
inline constexpr MiniFloat kE5M2{"E5M2", 5, 2, 15, 57344.0};
inline constexpr MiniFloat kE3M2{"E3M2", 3, 2, 3, 28.0};
inline constexpr MiniFloat kE2M3{"E2M3", 2, 3, 1, 7.5};
inline constexpr MiniFloat kE2M1{"E2M1", 2, 1, 1, 6.0};

// x rounded to the element format (value semantics; exact in double).
double round_to(const MiniFloat& f, double x);
// floor(log2(max)): the exponent of the largest normal of the format (emax_elem in OCP MX).
int max_exponent(const MiniFloat& f);

struct LowPrecision {
  std::string name;       // e.g. "MXFP6 (E2M3)"
  double bits_per_value;  // elements + scales, averaged over the tensor
  double rel_l2_error;    // ||x - q(x)|| / ||x|| over the finite values
  std::vector<float> dequantized;
};

// Quantize-dequantize an FP32 tensor (bit patterns) with each format:
//   "BF16"          round to nearest even, 16 bits
//   "FP8 E4M3/E5M2" one power-of-two FP32 scale per tensor (amax to the format's max), 8 bits
//   "MXFP8 (E4M3)", "MXFP6 (E2M3)", "MXFP4 (E2M1)": OCP MX v1.0, blocks of 32 sharing an E8M0
//                   scale 2^(floor(log2 amax) - emax_elem), elements rounded to nearest even and
//                   saturated
//   "NVFP4"         blocks of 16 E2M1 values with an E4M3 scale amax/6 (rounded to nearest even),
//                   under one FP32 tensor scale amax_tensor / (6 * 448)
std::vector<LowPrecision> low_precision_baselines(const uint32_t* v, size_t n);

}  // namespace sfp
