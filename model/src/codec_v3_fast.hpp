// SPDX-License-Identifier: Apache-2.0
//
// Internals of the fast version 3 chunk coder shared by its portable part (codec_v3_fast.cpp)
// and its AVX2 kernels (codec_v3_fast_avx2.cpp). Spec: docs/format.md, "Version 3".
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "sfp/codec.hpp"

namespace sfp::detail {

inline constexpr unsigned kFastMaxLanes = 1u << kV2MaxLanesLog2;
inline constexpr unsigned kFastPending = 4;  // a lane's words not yet wholly read
inline constexpr uint32_t kFastNone = ~uint32_t{0};

// The configuration and table, as both directions use them.
struct FastShape {
  FastShape(const Config& c, const CodeTable& t);
  unsigned m, man_bits, drop, s_bits, fixed_sign, entry, top, exp_max, esc_bits;
  uint8_t exp_sym[2][256];  // per code: the coded symbol of each exponent (a distance or ESC)
};

// A decoder lookup entry, indexed by a lane's next kMaxCodeBits bits: the value's total lane
// bits (0: no codeword, or a distance beyond the base or to exponent exp_max), its codeword
// length, the exponent a distance stands for, and flags.
enum : uint32_t {
  kLutTotalMask = 63,
  kLutLenShift = 8,
  kLutExpShift = 16,
  kLutRepBit = 24,      // REP
  kLutZeroBit = 25,     // ZERO
  kLutEscBit = 26,      // ESC: the escaped exponent follows the codeword
  kLutCodedRepBit = 27  // a distance or ESC in a code where REP has a codeword: must not repeat
};
inline constexpr unsigned kLutCodedBit = 28;  // a distance or ESC: an entry follows

// Code k's lookup at lut[k << kMaxCodeBits]; code k's exponents that have a distance codeword
// at has_dist[k << 8] (an escaped one of those is bad_code).
struct DecodeTables {
  DecodeTables(const Config& c, const CodeTable& t);
  FastShape shape;
  uint32_t lut[2u << kMaxCodeBits];
  uint8_t has_dist[2 * 256];
};

// An encoder symbol entry: its codeword (bit-reversed for the LSB-first lane), codeword length,
// total lane bits (0: the code has no codeword for it), symbol number and flags.
enum : uint32_t {
  kInfoCodeMask = 0xFFF,
  kInfoLenShift = 12,
  kInfoTotalShift = 16,
  kInfoSymShift = 22,
  kInfoEscBit = 28,       // ESC: the escaped exponent follows the codeword
  kInfoCodedBit = 29,     // a distance or ESC: an entry follows
  kInfoSignFixedBit = 30  // a coded symbol of a table with one sign: the value's sign must fit
};

// Per code: the entry of ZERO, of REP, and of the coded symbol (a distance or ESC) of each
// exponent; the codeword lengths for the bit accounting.
struct EncodeTables {
  EncodeTables(const Config& c, const CodeTable& t);
  FastShape shape;
  uint32_t info_exp[2][256];
  uint32_t info_zero[2], info_rep[2];
  uint8_t len[2][kMaxSymbols];
};

// The decoder's state between steps, one entry per lane. A lane's buffer is lo, then hi (its
// oldest unread bit in bit 0 of lo), fill bits in all; it has taken `taken` words; ctx is 1 when
// it decodes its next value with code 1. first[r * lanes + l] is the slot of the first word lane
// l took at step r (the next free slot if it took none), so that lane l took
// first[i + 1] - first[i] words then: the history from which expiry finds a word's slot.
struct DecodeState {
  alignas(32) uint64_t lo[kFastMaxLanes];
  alignas(32) uint64_t hi[kFastMaxLanes];
  alignas(32) uint32_t fill[kFastMaxLanes];
  alignas(32) uint32_t taken[kFastMaxLanes];
  alignas(32) uint32_t ctx[kFastMaxLanes];
  uint32_t next = 0;        // words taken by all lanes
  uint32_t prev = 0;        // the chunk's previous value
  uint32_t safe_until = 0;  // no word expires at a step whose horizon is below this
  uint32_t bad = 0;         // some check failed (the reference names it)
  // The SIMD steps take the CRC-32C of the words as they take them: the state (not inverted)
  // after words 0 .. crc_words - 1.
  uint64_t crc_state = 0;
  uint32_t crc_words = 0;
  uint32_t* first = nullptr;
};

// The lowest slot of a word that some lane has not wholly read, at most `next` (Spec: "Version
// 3 refill rule": the words that can expire).
uint32_t lowest_open_slot(const DecodeState& st, uint32_t lanes, uint32_t r);

// Decodes steps r, r + 1, ... below `rows` (whole steps of 16 values) of a chunk with 16 lanes
// (m > 0) while every word a step can take is stored and not the last one and no word expires;
// returns the first step it did not decode. Sets st.bad if a check failed. Only when have_avx2().
uint32_t decode_steps_avx2(const DecodeTables& tb, DecodeState& st, uint32_t r, uint32_t rows,
                           bool two, const uint8_t* data, uint32_t units, uint32_t* out);
bool have_avx2();

// What the encoder's bit accounting needs of a chunk's values: the codeword bits of its ZERO,
// REP and coded (distance or ESC) values, and how many are coded and escaped.
struct LaneBitSums {
  uint64_t zero_len = 0, rep_len = 0, coded_len = 0, coded = 0, esc = 0;
};

// The encoder's lane bits of values q[from..to) of a chunk with `lanes` lanes (from >= lanes,
// m > 0): bits[i] and total[i], as the portable lane_bits (codec_v3_fast.cpp) gives them, in
// blocks of 8, adding to *sums; returns the first value it did not do. Ors 1 into *bad if the
// table cannot code one of them. Only when have_avx2().
uint32_t lane_bits_avx2(const EncodeTables& tb, const uint32_t* q, uint32_t lanes, uint32_t from,
                        uint32_t to, uint64_t* bits, uint8_t* total, LaneBitSums* sums,
                        uint32_t* bad);

// The encoder's placement state between steps, one entry per lane: bits written (pos, skipped
// bits included), words taken, the lane's bits of its word pos / 32 below pos (acc; higher bits
// zero), and the slots of its open words pos / 32 + j (ring[j], for j below taken - pos / 32,
// which is at most 3). low is the lowest slot of a word some lane has not filled (kFastNone:
// none), held the most words taken and not yet whole after a step.
struct EncodeState {
  alignas(32) uint32_t pos[kFastMaxLanes];
  alignas(32) uint32_t taken[kFastMaxLanes];
  alignas(32) uint32_t acc[kFastMaxLanes];
  alignas(32) uint32_t ring[3][kFastMaxLanes];
  uint32_t next = 0;
  uint32_t low = kFastNone;
  uint64_t held = 0;
};

// Places the values of steps r, r + 1, ... below `rows` (whole steps, 16 lanes) whose lane bits
// are bits[] and total[] (indexed by value) into words while no word expires; returns the first
// step it did not place. Stores of no word go to words[dummy]. Only when have_avx2().
uint32_t place_steps_avx2(EncodeState& st, const uint64_t* bits, const uint8_t* total, uint32_t r,
                          uint32_t rows, uint32_t* words, uint32_t dummy);

// The table's counts (codec_v2.cpp): a value's index among one copy of the counts, by its
// context, whether it repeats, and its coded exponent (256: +0).
inline constexpr uint32_t kCountIndex = 2 * 2 * 257;
constexpr uint32_t count_index(uint32_t ctx, uint32_t rep, uint32_t coded) {
  return (ctx * 2 + rep) * 257 + coded;
}
// index[i - from] = (i & 3) * kCountIndex + count_index(...) of values v[from..to) of a chunk
// with `lanes` lanes (from >= lanes), eight at a time; ors and ands their signs (non-zero
// values) into *sign_or and *sign_and. Returns the first value it did not do. Only when
// have_avx2().
size_t count_index_avx2(const FpFormat& f, const uint32_t* v, unsigned lanes, size_t from,
                        size_t to, uint32_t* index, uint32_t* sign_or, uint32_t* sign_and);

// encode_chunk_v3_fast with the chunk's bytes appended to *bytes instead of out->bytes (left
// empty).
Status encode_chunk_v3_fast_to(const Config& c, const CodeTable& t, const uint32_t* q, size_t n,
                               ChunkV3* out, std::vector<uint8_t>* bytes);

// Whether the fast coder may use its SIMD kernels (on by default where the CPU has them); the
// tests turn them off to check the portable path on the same machine. Returns the old setting.
bool set_v3_fast_simd(bool on);
// How many chunks the fast coder handed to the reference on this thread (a chunk with an error,
// or one the table cannot code); the tests check that a valid chunk never is.
uint64_t v3_fast_fallbacks();
// Whether the SIMD kernels run: allowed by set_v3_fast_simd and the CPU has them.
bool v3_fast_simd_on();

}  // namespace sfp::detail
