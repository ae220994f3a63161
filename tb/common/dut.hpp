// SPDX-License-Identifier: Apache-2.0
//
// What the testbench knows about each verilated parameter set: the classes holding its public
// parameters, its name, and the model configuration matching its elaboration parameters.
// Verilate once per parameter set with PREFIX V<top>_<set>; declare it with SFP_TB_DUT.
#pragma once

#include <cstdint>

#include "sfp/codec.hpp"
#include "sfp/format.hpp"

namespace sfp::tb {

template <class Dut>
struct DutInfo;  // specialised by SFP_TB_DUT

// Declares a verilated model P whose top module is T (sfp_encoder or sfp_decoder). The RTL's
// generated format package must agree with the model's generated header.
#define SFP_TB_DUT(P, T)                                                            \
  template <>                                                                       \
  struct DutInfo<P> {                                                               \
    using Top = P##_##T;                                                            \
    using Pkg = P##_sfp_fmt_pkg;                                                    \
    static constexpr const char* kName = #P;                                        \
  };                                                                                \
  static_assert(P##_sfp_fmt_pkg::FormatVersion == ::sfp::kFormatVersion);           \
  static_assert(P##_sfp_fmt_pkg::ExpBits == ::sfp::kExpBits);                       \
  static_assert(P##_sfp_fmt_pkg::ManBitsFp32 == ::sfp::kManBitsFp32);               \
  static_assert(P##_sfp_fmt_pkg::ManBitsBf16 == ::sfp::kManBitsBf16);               \
  static_assert(P##_sfp_fmt_pkg::MinGroupLog2 == ::sfp::kMinGroupLog2);             \
  static_assert(P##_sfp_fmt_pkg::MaxGroupLog2 == ::sfp::kMaxGroupLog2);             \
  static_assert(P##_sfp_fmt_pkg::MinWordLog2 == ::sfp::kMinWordLog2);               \
  static_assert(P##_sfp_fmt_pkg::MaxWordLog2 == ::sfp::kMaxWordLog2);               \
  static_assert(P##_sfp_fmt_pkg::MaxChunkLog2 == ::sfp::kMaxChunkLog2);             \
  static_assert(P##_sfp_fmt_pkg::WidthCodeBits == ::sfp::kWidthCodeBits);           \
  static_assert(P##_sfp_fmt_pkg::RawBaseBits == ::sfp::kRawBaseBits);               \
  static_assert(P##_sfp_fmt_pkg::InitialBase == ::sfp::kInitialBase);               \
  static_assert(P##_sfp_fmt_pkg::GammaMaxZeros == ::sfp::kGammaMaxZeros);           \
  static_assert(P##_sfp_fmt_pkg::DefaultGroupLanes == ::sfp::kDefaultGroupLanes);   \
  static_assert(P##_sfp_fmt_pkg::DefaultBaseCode == ::sfp::kDefaultBaseCode);       \
  static_assert(P##_sfp_fmt_pkg::DefaultZeroCode == ::sfp::kDefaultZeroCode);       \
  static_assert(P##_sfp_fmt_pkg::DefaultChunkValues == ::sfp::kDefaultChunkValues); \
  static_assert(P##_sfp_fmt_pkg::DefaultWordBits == ::sfp::kDefaultWordBits)

// The model configuration for a DUT's elaboration parameters (per-tensor fields at defaults).
template <class Dut>
Config params_config() {
  using Top = typename DutInfo<Dut>::Top;
  Config c;
  c.group = Top::NumLanes;
  c.chunk = Top::ChunkValues;
  c.word_bits = Top::WordBits;
  c.base = static_cast<BaseCode>(Top::BaseCode);
  c.zero = static_cast<ZeroCode>(Top::ZeroCode);
  return c;
}

// Largest group record of any per-tensor configuration (FP32, m = 23, Gecko on), and the
// words in one beat: enough for that record on top of a partial word.
inline uint64_t rec_max_bits(const Config& params) {
  Config c = params;
  c.fp = Fp::kFp32;
  c.man_bits = kManBitsFp32;
  c.gecko = true;
  return max_chunk_bits(c, c.group);
}
inline unsigned beat_words(const Config& params) {
  return static_cast<unsigned>((rec_max_bits(params) + 2 * params.word_bits - 2) /
                               params.word_bits);
}

// Longest chunk in words for any per-tensor configuration, and the bits of a chunk index entry
// (the width of the RTL's chunk length ports).
inline uint64_t chunk_words_max(const Config& params) {
  Config c = params;
  c.fp = Fp::kFp32;
  c.man_bits = kManBitsFp32;
  c.gecko = true;
  return (max_chunk_bits(c, c.chunk) + c.word_bits - 1) / c.word_bits;
}
inline unsigned chunk_words_bits(const Config& params) {
  unsigned b = 0;
  for (uint64_t v = chunk_words_max(params); v; v >>= 1) ++b;
  return b;
}

}  // namespace sfp::tb
